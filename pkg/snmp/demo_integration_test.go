package snmp_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/snmp/simdata"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestDemoFleetRaisesNoInterfaceAlert polls the demo's SNMP fleet (scripts/up.sh: each branch's
// router, switch and firewall answer from snmpsim as sim-0002 ... sim-0015; almaty-rtr-01 is
// the real snmpd and is left out) on the demo's 127.10.b.x addresses for about a minute, with
// the default alert rules the migrations seed, and evaluates the rules after every poll as the
// SNMP cycle does. No interface alert may fire (README: the demo's one staged fault is
// lab-dead-01, a device_down alert, not an interface one).
//
// The agents are a private snmpsimd over the demo's recordings, generated into the test's
// temporary directory with the options scripts/snmp.sh gives tools/snmprec-gen (50 devices,
// the default interfaces, prefix and seed 1).
func TestDemoFleetRaisesNoInterfaceAlert(t *testing.T) {
	e := newEnv(t)
	sim := testenv.NewSNMPSimData(t, simdata.Options{Devices: 50, Interfaces: simdata.DefaultInterfaces,
		Prefix: simdata.DefaultPrefix, Seed: 1})
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	ev := alert.NewEvaluator(alert.EvaluatorParams{Repo: e.st, Enqueuer: client,
		Rules: alert.NewRuleCache(rdb, e.st.EnabledAlertRules)})

	var devs []store.Device
	n := 0
	for b, branch := range []string{"almaty", "astana", "karaganda", "shymkent", "taraz"} {
		for r, role := range []string{"rtr", "sw", "fw"} {
			n++
			if branch == "almaty" && role == "rtr" {
				continue // the real snmpd over SNMPv3, not a simulated agent
			}
			name := branch + "-" + role + "-01"
			d, err := e.st.CreateDevice(testenv.Ctx(t, 10*time.Second), store.DeviceInput{Name: name,
				IP: netip.AddrFrom4([4]byte{127, 10, byte(b + 1), byte(r + 1)}), Branch: branch, Region: "north",
				Type: map[string]string{"rtr": "router", "sw": "switch", "fw": "firewall"}[role], Enabled: true})
			testenv.Must(t, "create device "+name, err)
			_, err = e.svc.PutDeviceSettings(testenv.Ctx(t, 10*time.Second), d.ID, snmp.Settings{Version: snmp.Version2c,
				Community: snmp.NewSecret(fmt.Sprintf("sim-%04d", n)), Host: "127.0.0.1", Port: sim.Port,
				Timeout: 3 * time.Second, Retries: 1})
			testenv.Must(t, "snmp settings of "+name, err)
			devs = append(devs, d)
		}
	}
	// the seeded rules include interface rules, so a quiet result means the rules held
	rules, err := e.st.EnabledAlertRules(testenv.Ctx(t, 10*time.Second))
	testenv.Must(t, "seeded alert rules", err)
	ifRules := 0
	for _, r := range rules {
		if r.Kind.PerInterface() {
			ifRules++
		}
	}
	if ifRules == 0 {
		t.Fatalf("no enabled interface rule among the %d seeded rules", len(rules))
	}
	ids := make([]int64, len(devs))
	for i, d := range devs {
		ids[i] = d.ID
	}

	const interval, polls = 5 * time.Second, 12 // about a minute of the demo, rates computed 11 times
	for p := 0; p < polls; p++ {
		if p > 0 {
			time.Sleep(interval)
		}
		rep := e.poll(ids...)
		if rep.OK != len(ids) {
			t.Fatalf("poll %d: %+v, want all %d devices ok", p, rep, len(ids))
		}
		_, err := ev.Run(testenv.Ctx(t, 30*time.Second), alert.SourceSNMP, nil)
		testenv.Must(t, "alert evaluation", err)
	}

	rows, err := e.pool.Query(testenv.Ctx(t, 10*time.Second),
		`SELECT kind, device_name, subject, coalesce(value, 'NaN'), state FROM alerts ORDER BY id`)
	testenv.Must(t, "read alerts", err)
	defer rows.Close()
	for rows.Next() {
		var kind, dev, subject, state string
		var value float64
		testenv.Must(t, "scan alert", rows.Scan(&kind, &dev, &subject, &value, &state))
		if alert.Kind(kind).PerInterface() {
			t.Errorf("interface alert %s on device %s interface %q, value %g (%s)", kind, dev, subject, value, state)
		} else {
			t.Logf("other alert %s on %s %q value %g (%s)", kind, dev, subject, value, state)
		}
	}
	testenv.Must(t, "read alerts", rows.Err())

	// the polls really happened: every device stored its interfaces with rates
	var total, withRate, adminUpNotUp int
	var maxErr, maxUtil float64
	maxErrAt, maxUtilAt := "", ""
	for _, d := range devs {
		ifs := e.interfaces(d.ID)
		if len(ifs) == 0 {
			t.Errorf("device %s: no interfaces stored", d.Name)
		}
		for _, i := range ifs {
			total++
			if i.InBps != nil && i.OutBps != nil {
				withRate++
			}
			if i.AdminStatus == "up" && i.OperStatus != "up" {
				adminUpNotUp++
			}
			for _, v := range []*float64{i.InErrorsPerSec, i.OutErrorsPerSec} {
				if v != nil && *v > maxErr {
					maxErr, maxErrAt = *v, fmt.Sprintf("%s ifIndex %d %s", d.Name, i.IfIndex, i.Descr)
				}
			}
			for _, v := range []*float64{i.InUtilizationPct, i.OutUtilizationPct} {
				if v != nil && *v > maxUtil {
					maxUtil, maxUtilAt = *v, fmt.Sprintf("%s ifIndex %d %s", d.Name, i.IfIndex, i.Descr)
				}
			}
		}
	}
	if withRate == 0 || withRate < total/2 {
		t.Errorf("%d of %d interfaces have rates; want most of them (the polls computed nothing)", withRate, total)
	}
	t.Logf("%d interface rules of %d seeded; %d devices, %d interfaces (%d with rates, %d admin-up but not up); max error rate %.4f/s (%s), max utilisation %.2f %% (%s)",
		ifRules, len(rules), len(devs), total, withRate, adminUpNotUp, maxErr, maxErrAt, maxUtil, maxUtilAt)
}
