package deploy

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

// Reaching one account through its role does not hold up the others: the
// roles of several accounts are assumed at the same time, and each once.
// The fake holds AssumeRole unanswered until it has the three accounts'
// calls at once: one account after the other would never get there.
func TestAccountsAreReachedConcurrentlyAndOnceEach(t *testing.T) {
	fake := fakeaws.Start(t)
	f := factoryFor(t, fake, toolingID, "us-east-1")
	release := fake.Hold("AssumeRole")
	defer release()
	ids := []string{devID, stagingID, prodID}
	var wg sync.WaitGroup
	for _, id := range ids {
		acct := manifest.Account{Key: id, ID: id, Role: "arn:aws:iam::" + id + ":role/Deploy"}
		for range 3 { // several stacks of the account ask at once
			wg.Go(func() {
				if _, err := f.Clients(context.Background(), acct, "us-east-1"); err != nil {
					t.Error(err)
				}
			})
		}
	}
	eventually(t, fmt.Sprintf("the roles of the %d accounts to be assumed at once", len(ids)), func() bool {
		return fake.Held("AssumeRole") >= len(ids)
	})
	release()
	wg.Wait()
	if n := len(fake.Sessions()); n != len(ids) {
		t.Errorf("AssumeRole called %d times, want once per account (%d)", n, len(ids))
	}
}

// A call interrupted while another waits for it is not remembered: the
// waiter, whose context is still live, reaches the account itself.
func TestAnInterruptedReachIsNotKept(t *testing.T) {
	var g flights[int]
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	release := make(chan struct{})
	go g.do(ctx, "k", func() (int, bool, error) {
		close(started)
		<-release
		return 0, false, context.Canceled
	})
	<-started
	done := make(chan int)
	go func() {
		v, _ := g.do(context.Background(), "k", func() (int, bool, error) { return 7, true, nil })
		done <- v
	}()
	cancel()
	close(release)
	if v := <-done; v != 7 {
		t.Errorf("waiter got %d, want its own call's 7", v)
	}
	if v, _ := g.do(context.Background(), "k", func() (int, bool, error) { return 9, true, nil }); v != 7 {
		t.Errorf("later call got %d, want the kept 7", v)
	}
}
