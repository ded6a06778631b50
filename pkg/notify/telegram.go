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

// TelegramSender sends the message text with the Bot API's sendMessage. Client as for
// WebhookSender.
type TelegramSender struct{ Client *http.Client }

// Send implements Sender. A failure says the status line only: the answer's description is
// not kept (api_base may be any allowed receiver, whose answer must not reach the log).
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
	const op = "telegram sendMessage"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/bot"+sec.BotToken+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("%s: the API URL is not valid", op)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := do(t.Client, req, op) // its URL holds the token: never in an error
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var ans struct {
		OK bool `json:"ok"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return statusError(resp.StatusCode)
	}
	if json.Unmarshal(raw, &ans) != nil || !ans.OK {
		return fmt.Errorf("%s: HTTP %d but the answer is not {\"ok\":true}", op, resp.StatusCode)
	}
	return nil
}
