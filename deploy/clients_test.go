package deploy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cicdgen/cicdgen/internal/fakeaws"
	"github.com/cicdgen/cicdgen/manifest"
)

// Reaching one account through its role does not hold up the others: the
// roles of several accounts are assumed at the same time, and each once.
func TestAccountsAreReachedConcurrentlyAndOnceEach(t *testing.T) {
	fake := fakeaws.Start(t)
	f := factoryFor(t, fake, toolingID, "us-east-1")
	const latency = 400 * time.Millisecond
	fake.SetLatency("AssumeRole", latency)
	ids := []string{devID, stagingID, prodID}
	var wg sync.WaitGroup
	start := time.Now()
	for _, id := range ids {
		acct := manifest.Account{Key: id, ID: id, Role: "arn:aws:iam::" + id + ":role/Deploy"}
		for range 3 { // several stacks of the account ask at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.Clients(context.Background(), acct, "us-east-1"); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if took := time.Since(start); took >= time.Duration(len(ids))*latency {
		t.Errorf("reaching %d accounts took %v: one after the other", len(ids), took)
	}
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
