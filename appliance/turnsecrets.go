package appliance

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"conclave/admin"
)

// turnSecretGrace is how long the secret replaced by a rotation still
// verifies credentials: TURN checks expiry on Allocate only, so a meeting's
// relay refreshes with the credentials of its join for as long as the
// meeting lasts. A day covers any meeting.
const turnSecretGrace = 24 * time.Hour

// turnSecretReload is how often a running server looks for a rotation made
// with `conclave admin turn rotate-secret`.
const turnSecretReload = 30 * time.Second

// turnSecrets holds the TURN REST secrets for the TURN server's hot path:
// current first, then the previous one during its grace period.
type turnSecrets struct {
	store *admin.Store
	list  atomic.Pointer[[][]byte]
	now   func() time.Time
}

// load reads the secrets from the database, generating the first one.
func (ts *turnSecrets) load(ctx context.Context) (changed bool, err error) {
	if _, err := ts.store.EnsureSecret(ctx, admin.SecretTURN); err != nil {
		return false, err
	}
	v, err := ts.store.Secrets(ctx, admin.SecretTURN)
	if err != nil {
		return false, err
	}
	list := [][]byte{v.Current}
	if v.Previous != nil && ts.now().Sub(v.RotatedAt) < turnSecretGrace {
		list = append(list, v.Previous)
	}
	old := ts.list.Swap(&list)
	return old == nil || !bytes.Equal((*old)[0], list[0]), nil
}

// secrets is turn.Config.Secrets: cheap and safe for concurrent use.
func (ts *turnSecrets) secrets() [][]byte { return *ts.list.Load() }

// current is the secret new credentials are minted with.
func (ts *turnSecrets) current() []byte { return (*ts.list.Load())[0] }

// reloadLoop picks up rotations until ctx is done.
func (ts *turnSecrets) reloadLoop(ctx context.Context, logger *slog.Logger) {
	tick := time.NewTicker(turnSecretReload)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			changed, err := ts.load(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("reload TURN secret", slog.Any("err", err))
			case changed:
				logger.Info("TURN secret rotated; credentials of the previous one stay valid",
					slog.Duration("grace", turnSecretGrace))
			}
		}
	}
}

// reloadTURNSecret picks up a secret the admin panel just rotated, so the
// new one is in use at once instead of at the next periodic reload.
func (a *Appliance) reloadTURNSecret() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.turnSecrets.load(ctx); err != nil {
		a.logger.Warn("reload the rotated TURN secret", slog.Any("err", err))
	}
}
