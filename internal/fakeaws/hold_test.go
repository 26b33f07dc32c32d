package fakeaws_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
)

// heldBy polls until fake holds n requests of action; after 30 s (a hang
// guard) it fails the test.
func heldBy(t *testing.T, fake *fakeaws.Server, action string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for fake.Held(action) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests of %s held, want %d", fake.Held(action), action, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Hold keeps the requests of one action unanswered, and counts them, until
// it is released or their client gives up; other actions are answered.
func TestHoldKeepsAnActionUntilReleased(t *testing.T) {
	fake, cfg := clients(t)
	client := sts.NewFromConfig(cfg)
	release := fake.Hold("GetCallerIdentity")
	defer release()
	answered := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			answered <- err
		}()
	}
	heldBy(t, fake, "GetCallerIdentity", 2)
	if _, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::310987654321:role/Deploy"), RoleSessionName: aws.String("s")}); err != nil {
		t.Errorf("another action, while one is held: %v", err)
	}
	select {
	case err := <-answered:
		t.Fatalf("a held request was answered (%v)", err)
	default:
	}

	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		gaveUp <- err
	}()
	heldBy(t, fake, "GetCallerIdentity", 3)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("a request given up: %v, want context.Canceled", err)
	}
	heldBy(t, fake, "GetCallerIdentity", 2)

	release()
	for range 2 {
		if err := <-answered; err != nil {
			t.Errorf("released: %v", err)
		}
	}
	if n := fake.Held("GetCallerIdentity"); n != 0 {
		t.Errorf("%d held after the release", n)
	}
}
