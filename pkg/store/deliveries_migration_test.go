package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	sqlfiles "github.com/wardops/wardops/sql"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestDeliveryErrorsMigration runs migration 00007's statement over delivery errors written
// by earlier versions: answer bodies and quoted request URLs go, status lines and other
// errors stay; a second run changes nothing.
func TestDeliveryErrorsMigration(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	raw, err := sqlfiles.FS.ReadFile("00007_delivery_errors.sql")
	testenv.Must(t, "read migration", err)
	up, _, _ := strings.Cut(strings.TrimPrefix(string(raw), "-- +goose Up"), "-- +goose Down")
	cases := []struct{ old, want string }{
		{"HTTP 500: SECRET body\nline two", "HTTP 500"},
		{"telegram sendMessage: HTTP 400: Bad Request: chat not found", "telegram sendMessage: HTTP 400"},
		{`post: Post "http://hooks.bank/x?token=SECRET": dial tcp 10.200.0.1:80: connect: connection refused`,
			"post: Post [redacted url]: dial tcp 10.200.0.1:80: connect: connection refused"},
		{"HTTP 502 Bad Gateway", "HTTP 502 Bad Gateway"},
		{"SMTP RCPT TO a@b.test: 550 no such user", "SMTP RCPT TO a@b.test: 550 no such user"},
	}
	for i, c := range cases {
		_, err := st.Pool().Exec(t.Context(), `INSERT INTO deliveries (delivery_key, channel_id, message, state, last_error)
			VALUES ($1, 1, '{}', 'failed', $2)`, "k"+string(rune('a'+i)), c.old)
		testenv.Must(t, "insert delivery", err)
	}
	for run := 0; run < 2; run++ {
		_, err = st.Pool().Exec(t.Context(), up)
		testenv.Must(t, "run migration", err)
	}
	rows, err := st.Pool().Query(t.Context(), `SELECT last_error FROM deliveries ORDER BY delivery_key`)
	testenv.Must(t, "read", err)
	var got, want []string
	for rows.Next() {
		var s string
		testenv.Must(t, "scan", rows.Scan(&s))
		got = append(got, s)
	}
	for _, c := range cases {
		want = append(want, c.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("last_error after the migration (-want +got):\n%s", diff)
	}
}
