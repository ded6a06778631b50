package probe

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// ProBing pings with prometheus-community/pro-bing: one privileged raw socket per target,
// every target of a call concurrently.
type ProBing struct {
	logger *slog.Logger
}

// NewProBing returns a pro-bing engine.
func NewProBing(logger *slog.Logger) *ProBing {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ProBing{logger: logger}
}

// PingAll pings every target concurrently and returns one result per target, in order. It
// returns early when ctx ends; unfinished targets then count their requests as lost.
func (p *ProBing) PingAll(ctx context.Context, targets []Target, opts Options) []Result {
	opts.setDefaults()
	out := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = p.pingOne(ctx, t, opts)
		}()
	}
	wg.Wait()
	return out
}

func (p *ProBing) pingOne(ctx context.Context, t Target, opts Options) Result {
	res := Result{ID: t.ID, Addr: t.Addr, At: time.Now().UTC()}
	pg := probing.New(t.Addr.String())
	pg.SetPrivileged(true)
	pg.Count = opts.Count
	pg.Interval = opts.Spacing
	// pro-bing's Timeout bounds the whole run: the spacing of all requests plus the wait for the last reply.
	pg.Timeout = time.Duration(opts.Count-1)*opts.Spacing + opts.Timeout
	pg.RecordRtts = true
	pg.SetLogger(probing.NoopLogger{})
	if err := pg.Resolve(); err != nil {
		res.Err = fmt.Errorf("resolve %s: %w", t.Addr, err)
		res.Sent = opts.Count
		return res
	}
	if err := pg.RunWithContext(ctx); err != nil {
		res.Err = fmt.Errorf("ping %s: %w", t.Addr, err)
	}
	st := pg.Statistics()
	res.Sent, res.Received = st.PacketsSent, st.PacketsRecv
	if res.Sent < opts.Count {
		// requests not sent because ctx ended or the socket failed count as lost
		res.Sent = opts.Count
	}
	res.RTTs = append(res.RTTs, st.Rtts...)
	if res.Received > len(res.RTTs) {
		res.Received = len(res.RTTs)
	}
	return res
}
