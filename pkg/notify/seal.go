package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// ErrClearSecretsUnsealed is returned by SealClearSecrets when webhook rows hold secrets in
// clear but there is no key to seal them with (WARDOPS_SECRET_KEY unset).
var ErrClearSecretsUnsealed = errors.New("webhook channels hold URL credentials or header values in clear and no WARDOPS_SECRET_KEY is set to seal them")

// SealClearSecrets seals the secrets that webhook channels written before they were sealed
// still hold in clear in channels.config (user info and query of the URL, header values),
// leaving only the public URL there; nothing is lost, what was sealed already stays. It is
// idempotent (a sealed row has nothing left to move) and runs at API start, in Go because the
// key is not the database's. It returns how many channels it sealed; with no sealer it seals
// none and returns how many wait, with ErrClearSecretsUnsealed.
func SealClearSecrets(ctx context.Context, st ChannelStore, sealer Sealer, logger *slog.Logger) (int, error) {
	chs, err := st.ListChannels(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal clear channel secrets: %w", err)
	}
	waiting, sealed := 0, 0
	for i := range chs {
		c := chs[i]
		if c.Type != TypeWebhook || !hasClearSecrets(c.Config) {
			continue
		}
		if sealer == nil {
			waiting++
			continue
		}
		if err := sealOne(ctx, st, sealer, c); err != nil {
			return sealed, err
		}
		sealed++
		if logger != nil {
			logger.Info("sealed the clear secrets of a webhook channel", "channel", c.ID)
		}
	}
	if waiting > 0 {
		return waiting, ErrClearSecretsUnsealed
	}
	return sealed, nil
}

func sealOne(ctx context.Context, st ChannelStore, sealer Sealer, c Channel) error {
	sec, err := openSecrets(sealer, &c)
	if err != nil {
		return fmt.Errorf("seal clear secrets of channel %d: %w", c.ID, err)
	}
	if _, err := normaliseWebhook(&c, &sec); err != nil {
		return fmt.Errorf("seal clear secrets of channel %d: %w", c.ID, err)
	}
	c.SecretNames = sec.names()
	if c.Sealed, err = sealSecrets(sealer, c.ID, sec); err != nil {
		return err
	}
	if _, err := st.UpdateChannel(ctx, c); err != nil {
		return fmt.Errorf("seal clear secrets of channel %d: %w", c.ID, err)
	}
	return nil
}
