package pgcluster

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// startTest starts a cluster closed in t.Cleanup; without server binaries
// it skips the test, unless CI is set.
func startTest(t *testing.T, opts Options) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, opts)
	if errors.Is(err, ErrNoServer) && os.Getenv("CI") == "" {
		t.Skipf("skipping test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	return c
}
