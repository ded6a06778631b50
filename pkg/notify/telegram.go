package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wardops/wardops/pkg/alert"
)

// TelegramSender sends the message text with the Bot API's sendMessage.
type TelegramSender struct{ Client *http.Client }

// Send implements Sender.
func (t *TelegramSender) Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error {
	base := strings.TrimRight(ch.Config.APIBase, "/")
	if base == "" {
		base = DefaultTelegramAPI
	}
	body, err := json.Marshal(map[string]any{"chat_id": ch.Config.ChatID, "text": msg.Text(),
		"disable_web_page_preview": true})
	if err != nil {
		return &PermanentError{fmt.Errorf("encode message: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/bot"+sec.BotToken+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("build request: %w", redact(err, sec.BotToken))}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.Client.Do(req)
	if err != nil {
		return fmt.Errorf("telegram sendMessage: %w", redact(err, sec.BotToken))
	}
	defer resp.Body.Close()
	var ans struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(raw, &ans) == nil && ans.OK && resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("telegram sendMessage: HTTP %d: %s", resp.StatusCode, strings.ReplaceAll(ans.Description, sec.BotToken, "[redacted]"))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests {
		return &PermanentError{err}
	}
	return err
}
