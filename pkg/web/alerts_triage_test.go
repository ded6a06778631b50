package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestAlertsPageTriage: the alerts page filters by severity, region and text with the filters in
// the URL (a bookmarked address opens filtered); the alerts shown are acknowledged in bulk with
// one comment, and each row then says who acknowledged, when and until when; an incident is
// acknowledged as a whole.
func TestAlertsPageTriage(t *testing.T) {
	x := startTriage(t)
	x.device("a-rtr", "BR-1", "north", "router", "")
	x.device("b-sw", "BR-2", "south", "switch", "")
	x.device("c-sw", "BR-2", "south", "switch", "")
	x.set(map[string]string{"a-rtr": "up", "b-sw": "up", "c-sw": "up"})
	t0 := time.Now().UTC().Add(-20 * time.Minute)
	aCPU := x.alert("a-rtr", "cpu_pct", "major", "", "a-rtr CPU high", "firing", t0)
	bRTT := x.alert("b-sw", "ping_rtt_ms", "minor", "", "b-sw RTT high", "firing", t0.Add(time.Minute))
	cIf := x.alert("c-sw", "if_down", "major", "Gi0/1", "c-sw Gi0/1 down", "firing", t0.Add(2*time.Minute))
	cMem := x.alert("c-sw", "mem_pct", "warning", "", "c-sw memory high", "firing", t0.Add(3*time.Minute))
	x.freshList()
	b, ctx := x.b, x.ctx
	shown := func() []string {
		return eval[[]string](b, ctx, `[...document.querySelectorAll('#alerts-list .alert-row')].map((r) => r.dataset.alert)`)
	}
	ids := func(v ...int64) string {
		var s []string
		for _, id := range v {
			s = append(s, fmt.Sprint(id))
		}
		return fmt.Sprint(s)
	}
	open := func(q string) {
		t.Helper()
		// a bookmarked address, loaded afresh (not a change of the fragment of the open page)
		b.do(ctx, "open alerts", chromedp.Navigate(x.front.URL()+"/favicon.ico"), chromedp.Navigate(x.front.URL()+"/#/alerts?"+q))
		b.wait(ctx, "alert filters", `!!document.getElementById('af-severity') && document.querySelectorAll('#alerts-list h2').length === 1`, 10*time.Second)
	}
	open("state=firing&severity=major")
	if got := fmt.Sprint(shown()); got != ids(aCPU, cIf) {
		t.Errorf("severity=major shows %s, want %s (severity, then age)", got, ids(aCPU, cIf))
	}
	eval[bool](b, ctx, `(() => { const s = document.getElementById('af-region'); s.value = 'south'; s.dispatchEvent(new Event('change')); return true; })()`)
	b.wait(ctx, "region filter", fmt.Sprintf(`[...document.querySelectorAll('#alerts-list .alert-row')].map((r) => r.dataset.alert).join() === '%d'`, cIf), 5*time.Second)
	if h := eval[string](b, ctx, `location.hash`); !strings.Contains(h, "severity=major") || !strings.Contains(h, "region=south") {
		t.Errorf("filters not in the address: %s", h)
	}
	open("state=firing&q=rtt")
	if got := fmt.Sprint(shown()); got != ids(bRTT) {
		t.Errorf("q=rtt shows %s, want %s", got, ids(bRTT))
	}

	open("state=firing&region=south")
	if got := fmt.Sprint(shown()); got != ids(cIf, bRTT, cMem) {
		t.Errorf("region=south shows %s, want %s", got, ids(cIf, bRTT, cMem))
	}
	b.do(ctx, "select all shown", chromedp.Click(chromedp.CSS("#bulk-all")))
	b.wait(ctx, "3 selected", `document.querySelector('#alert-bulk label').textContent.includes('3 selected')`, 5*time.Second)
	b.do(ctx, "bulk acknowledge", chromedp.Click(chromedp.CSS("#bulk-ack")), chromedp.WaitVisible(chromedp.CSS("#dialog-comment")),
		chromedp.SendKeys(chromedp.CSS("#dialog-comment"), "bulk ticket 42"))
	x.view(ctx, "triage-alerts-bulk", 1440, 900)
	b.do(ctx, "confirm", chromedp.Click(chromedp.CSS("#dialog-ok")))
	b.wait(ctx, "acknowledged alerts left the firing list", `!document.getElementById('dialog').open && document.querySelectorAll('#alerts-list .alert-row').length === 0`, 10*time.Second)
	for _, id := range []int64{bRTT, cIf, cMem} {
		a, err := x.sys.Store.GetAlert(testenv.Ctx(t, 5*time.Second), id)
		testenv.Must(t, "read alert", err)
		if a.State != alert.StateAcknowledged || a.AckComment != "bulk ticket 42" || a.AckedBy != "noc" {
			t.Errorf("alert %d after the bulk acknowledge: %s by %q %q, want acknowledged by noc with the comment", id, a.State, a.AckedBy, a.AckComment)
		}
	}
	if a, _ := x.sys.Store.GetAlert(testenv.Ctx(t, 5*time.Second), aCPU); a.State != alert.StateFiring {
		t.Errorf("the alert not shown was acknowledged too: %s", a.State)
	}
	open("state=acknowledged")
	b.wait(ctx, "acknowledged rows", `document.querySelectorAll('#alerts-list .alert-row').length === 3`, 10*time.Second)
	who := eval[string](b, ctx, fmt.Sprintf(`document.querySelector('.alert-row[data-alert="%d"] .ack-who').textContent`, cIf))
	if !strings.HasPrefix(who, "acknowledged by noc at ") || !strings.Contains(who, "until it resolves") || !strings.Contains(who, "bulk ticket 42") {
		t.Errorf("acknowledged row says %q, want who, when, until when and the comment", who)
	}
	x.view(ctx, "triage-alerts-acknowledged", 1440, 900)

	// an incident as a whole: its root alert and the firing alert under it
	root := x.alert("a-rtr", "device_down", "critical", "", "a-rtr is down", "firing", t0)
	loss := x.alert("a-rtr", "ping_loss_pct", "major", "", "a-rtr loss high", "firing", t0)
	var inc int64
	testenv.Must(t, "insert incident", x.sys.Store.Pool().QueryRow(testenv.Ctx(t, 5*time.Second), `
		INSERT INTO incidents (root_device_id, root_name, branch, title, alert_id, affected_count, opened_at)
		VALUES ($1, 'a-rtr', 'BR-1', 'a-rtr down', $2, 0, $3) RETURNING id`, x.ids["a-rtr"], root, t0).Scan(&inc))
	_, err := x.sys.Store.Pool().Exec(testenv.Ctx(t, 5*time.Second), `UPDATE alerts SET incident_id = $1 WHERE id = ANY($2)`, inc, []int64{root, loss})
	testenv.Must(t, "link incident alerts", err)
	open("state=firing")
	b.wait(ctx, "incident box", fmt.Sprintf(`!!document.querySelector('.incident-box[data-incident="%d"] [data-act="ack-incident"]')`, inc), 10*time.Second)
	b.do(ctx, "acknowledge the incident", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.incident-box[data-incident="%d"] [data-act="ack-incident"]`, inc))),
		chromedp.WaitVisible(chromedp.CSS("#dialog-comment")), chromedp.SendKeys(chromedp.CSS("#dialog-comment"), "carrier"), chromedp.Click(chromedp.CSS("#dialog-ok")))
	b.wait(ctx, "dialog closed", `!document.getElementById('dialog').open`, 10*time.Second)
	for _, id := range []int64{root, loss} {
		a, err := x.sys.Store.GetAlert(testenv.Ctx(t, 5*time.Second), id)
		testenv.Must(t, "read alert", err)
		if a.State != alert.StateAcknowledged || a.AckComment != "carrier" {
			t.Errorf("incident alert %d: %s %q, want acknowledged with the comment", id, a.State, a.AckComment)
		}
	}
}

// TestAlertsPageServerPaging: filters set in the address go to the server (GET /alerts), which
// answers one page of 100 rows and the total of the matches: the page shows the first 100 of
// 130 in severity-then-age order, "1–100 of 130" and "+30 more", the next page the 30 others
// (the page number in the address), a text filter its one match, typing a search asks again
// (and a live refresh keeps the box and its focus); a page past the end of a bookmark moves to
// the last page there is. Screenshots at 1440×900 and 390×844.
func TestAlertsPageServerPaging(t *testing.T) {
	x := startTriage(t)
	x.device("north-rtr", "BR-N", "north", "router", "")
	x.device("south-sw", "BR-S", "south", "switch", "")
	x.set(map[string]string{"north-rtr": "up", "south-sw": "up"})
	t0 := time.Now().UTC().Add(-3 * time.Hour)
	oldest := x.alert("south-sw", "if_down", "major", "Gi0/0", "south-sw Gi0/0 down", "firing", t0)
	for i := 1; i < 130; i++ {
		x.alert("south-sw", "if_down", "major", fmt.Sprintf("Gi0/%d", i), fmt.Sprintf("south-sw Gi0/%d down", i), "firing", t0.Add(time.Duration(i)*time.Minute))
	}
	x.alert("south-sw", "cpu_pct", "minor", "", "south-sw CPU high", "firing", t0)          // another severity
	x.alert("north-rtr", "if_down", "major", "Gi9/9", "north-rtr Gi9/9 down", "firing", t0) // another region
	x.alert("south-sw", "if_down", "major", "Gi8/8", "south-sw Gi8/8 down", "acknowledged", t0)
	x.freshList()
	b, ctx := x.b, x.ctx
	open := func(q string) {
		t.Helper()
		b.do(ctx, "open alerts", chromedp.Navigate(x.front.URL()+"/favicon.ico"), chromedp.Navigate(x.front.URL()+"/#/alerts?"+q))
		b.wait(ctx, "alert list", `!!document.getElementById('af-severity') && !!document.getElementById('alerts-total')`, 10*time.Second)
	}
	type shown struct {
		Rows        int    `json:"rows"`
		First       string `json:"first"`
		Total       string `json:"total"`
		Heading     string `json:"heading"`
		Range       string `json:"range"`
		Next        string `json:"next"`
		Region, Sev string
	}
	read := func() shown {
		return eval[shown](b, ctx, `(() => { const rows = document.querySelectorAll('#alerts-list .alert-row');
			return {rows: rows.length, first: rows.length ? rows[0].dataset.alert : '', total: document.getElementById('alerts-total').dataset.total,
				heading: document.querySelector('#alerts-list h2').textContent,
				range: (document.getElementById('alerts-range') || {}).textContent || '', next: (document.getElementById('alerts-next') || {}).textContent || '',
				Region: document.getElementById('af-region').value, Sev: document.getElementById('af-severity').value}; })()`)
	}
	open("state=firing&region=south&severity=major")
	want := shown{Rows: 100, First: fmt.Sprint(oldest), Total: "130", Heading: "Other firing alerts (1–100 of 130 matching)", Range: "1–100 of 130",
		Next: "+30 more · next 30 ›", Region: "south", Sev: "major"}
	if d := cmp.Diff(want, read()); d != "" {
		t.Errorf("first page of region=south&severity=major (-want +got):\n%s", d)
	}
	x.view(ctx, "triage-alerts-paged", 1440, 900)
	x.view(ctx, "triage-alerts-paged-phone", 390, 844)
	eval[bool](b, ctx, `(window.scrollTo(0, document.querySelector('#alerts-list h2').getBoundingClientRect().top + scrollY - 170), true)`)
	x.view(ctx, "triage-alerts-paged-phone-list", 390, 844)
	eval[bool](b, ctx, `(window.scrollTo(0, document.getElementById('alerts-pager').getBoundingClientRect().top + scrollY - 600), true)`)
	x.view(ctx, "triage-alerts-paged-phone-pager", 390, 844)
	b.do(ctx, "viewport", chromedp.EmulateViewport(1440, 900))
	b.do(ctx, "next page", chromedp.Click(chromedp.CSS("#alerts-next")))
	b.wait(ctx, "second page", `document.querySelectorAll('#alerts-list .alert-row').length === 30`, 10*time.Second)
	if got := read(); got.Range != "101–130 of 130" || got.Next != "" || got.Total != "130" || !strings.Contains(got.Heading, "(101–130 of 130 matching)") {
		t.Errorf("second page: %+v, want 101–130 of 130 and no next", got)
	}
	if h := eval[string](b, ctx, `location.hash`); !strings.Contains(h, "page=2") || !strings.Contains(h, "region=south") {
		t.Errorf("page not in the address: %s", h)
	}
	open("state=firing&q=gi0%2F129&sort=oldest")
	if got := read(); got.Rows != 1 || got.Total != "1" || got.Range != "" || !strings.Contains(got.Heading, "(1 matching)") {
		t.Errorf("q=gi0/129: %+v, want its one row and a total of 1", got)
	}
	// typing in the search box asks the server; a live refresh keeps the box and its focus
	open("state=firing")
	b.do(ctx, "type a search", chromedp.SendKeys(chromedp.CSS("#af-q"), "gi0/12"))
	b.wait(ctx, "searched on the server", `document.getElementById('alerts-total').dataset.total === '11' && location.hash.includes('q=gi0')`, 10*time.Second)
	x.alertEvent()
	time.Sleep(time.Second) // the page's refresh is debounced 400 ms
	if got := eval[string](b, ctx, `document.activeElement.id + ' ' + document.getElementById('af-q').value + ' ' + document.getElementById('alerts-total').dataset.total`); got != "af-q gi0/12 11" {
		t.Errorf("after a live refresh: focus, search and total %q, want \"af-q gi0/12 11\"", got)
	}
	open("state=firing&region=south&severity=major&page=9")
	b.wait(ctx, "moved to the last page", `location.hash.includes('page=2') && document.querySelectorAll('#alerts-list .alert-row').length === 30`, 10*time.Second)
	open("state=firing&sort=newest")
	if got := read(); got.Rows != 100 || got.Total != "132" {
		t.Errorf("all firing alerts: %+v, want 100 rows of 132", got)
	}
}
