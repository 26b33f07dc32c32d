package awscmd

import (
	"context"
	"sync"
	"time"
)

// withVirtualPace returns env with a pacing clock that never waits: each
// wait of the pacing (for a token of the rate limit, or after a throttled
// call) moves it forward at once. The commands' other waits (polling, the
// fake's operations) keep the real clock.
func withVirtualPace(env Env) Env {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env.PaceNow = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	env.PaceSleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
		return nil
	}
	return env
}
