package store

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/wardops/wardops/pkg/alert"
	"time"

	"github.com/jackc/pgx/v5"
)

// SNMPDeviceState is the latest SNMP state of one device (device_snmp_state).
type SNMPDeviceState struct {
	DeviceID    int64
	SysName     string
	SysDescr    string
	SysObjectID string
	// UptimeTicks is the uptime at LastSuccess in hundredths of a second (nil: never polled).
	UptimeTicks  *int64
	UptimeSource string
	CPUPercent   *float64
	MemPercent   *float64
	// Extra holds the values of the profile's extra OIDs by name.
	Extra       map[string]float64
	LastPoll    time.Time
	LastSuccess *time.Time
	PollMS      *float64
	// LastError and LastErrorKind are "" after a successful poll.
	LastError     string
	LastErrorKind string
}

// SNMPInterface is the latest state of one interface (snmp_interfaces).
type SNMPInterface struct {
	DeviceID      int64
	IfIndex       uint32
	Name          string
	Alias         string
	Descr         string
	AdminStatus   string
	OperStatus    string
	SpeedBps      uint64
	InOctets      uint64
	OutOctets     uint64
	InOctetsBits  uint8
	OutOctetsBits uint8
	// Error and discard counters are nil when the agent did not return them.
	InErrors           *uint64
	OutErrors          *uint64
	InDiscards         *uint64
	OutDiscards        *uint64
	DiscontinuityTicks uint32
	// Rates over the last interval; nil when not computable.
	InBps          *float64
	OutBps         *float64
	InErrorsPS     *float64
	OutErrorsPS    *float64
	InDiscardsPS   *float64
	OutDiscardsPS  *float64
	OverSpeedDrops int64
	LastChange     *time.Time
	PolledAt       time.Time
	// Role is the interface's role: set through the API, or else derived from its alias by the
	// effective profile's role pattern (RoleDerived); "" none. Read by SNMPInterfaces only.
	Role        string
	RoleDerived bool
	// SeenUp: the interface has been up since it was discovered (if_down fires only then).
	SeenUp bool
}

// SNMPEvent is a device_events row written with a poll ('reboot', 'if_up', 'if_down').
type SNMPEvent struct {
	DeviceID   int64
	At         time.Time
	Kind       string
	FromStatus string
	ToStatus   string
	Detail     map[string]any
}

// SNMPPrevious is what the rate math of the next poll needs from the last one.
type SNMPPrevious struct {
	State      SNMPDeviceState
	Interfaces []SNMPInterface
}

// SNMPPollRecord is the outcome of polling one device.
type SNMPPollRecord struct {
	State SNMPDeviceState
	// Success: the state row is replaced and Interfaces replace the device's interfaces
	// (vanished ones are deleted). Otherwise only last_poll and the error are updated, so the
	// counters of the last good poll stay the baseline.
	Success    bool
	Interfaces []SNMPInterface
	Events     []SNMPEvent
}

const snmpStateCols = `device_id, sys_name, sys_descr, sys_object_id, uptime_ticks, uptime_source,
	cpu_pct, mem_pct, extra, last_poll, last_success, poll_ms, last_error, last_error_kind`

func scanSNMPState(row pgx.Row) (SNMPDeviceState, error) {
	var st SNMPDeviceState
	var extra []byte
	err := row.Scan(&st.DeviceID, &st.SysName, &st.SysDescr, &st.SysObjectID, &st.UptimeTicks, &st.UptimeSource,
		&st.CPUPercent, &st.MemPercent, &extra, &st.LastPoll, &st.LastSuccess, &st.PollMS, &st.LastError, &st.LastErrorKind)
	if err != nil {
		return st, err
	}
	st.LastPoll = st.LastPoll.UTC()
	if st.LastSuccess != nil {
		t := st.LastSuccess.UTC()
		st.LastSuccess = &t
	}
	if err := json.Unmarshal(extra, &st.Extra); err != nil {
		return st, fmt.Errorf("decode extra values of device %d: %w", st.DeviceID, err)
	}
	return st, nil
}

const snmpIfCols = `device_id, if_index, name, alias, descr, admin_status, oper_status, speed_bps,
	in_octets, out_octets, in_octets_bits, out_octets_bits, in_errors, out_errors, in_discards,
	out_discards, discontinuity_ticks, in_bps, out_bps, in_errors_ps, out_errors_ps, in_discards_ps,
	out_discards_ps, overspeed_drops, last_change, polled_at`

func scanSNMPInterface(row pgx.Row) (SNMPInterface, error) {
	var i SNMPInterface
	var idx, speed, in, out, disc int64
	var inBits, outBits int16
	var ie, oe, id, od *int64
	err := row.Scan(&i.DeviceID, &idx, &i.Name, &i.Alias, &i.Descr, &i.AdminStatus, &i.OperStatus, &speed,
		&in, &out, &inBits, &outBits, &ie, &oe, &id, &od, &disc, &i.InBps, &i.OutBps, &i.InErrorsPS,
		&i.OutErrorsPS, &i.InDiscardsPS, &i.OutDiscardsPS, &i.OverSpeedDrops, &i.LastChange, &i.PolledAt)
	if err != nil {
		return i, err
	}
	i.IfIndex, i.SpeedBps, i.DiscontinuityTicks = uint32(idx), uint64(speed), uint32(disc)
	i.InOctets, i.OutOctets = uint64(in), uint64(out) // bit patterns: see the migration
	i.InOctetsBits, i.OutOctetsBits = uint8(inBits), uint8(outBits)
	i.InErrors, i.OutErrors, i.InDiscards, i.OutDiscards = toU64(ie), toU64(oe), toU64(id), toU64(od)
	i.PolledAt = i.PolledAt.UTC()
	if i.LastChange != nil {
		t := i.LastChange.UTC()
		i.LastChange = &t
	}
	return i, nil
}

func toU64(p *int64) *uint64 {
	if p == nil {
		return nil
	}
	u := uint64(*p)
	return &u
}

func toI64(p *uint64) *int64 {
	if p == nil {
		return nil
	}
	i := int64(*p)
	return &i
}

// SNMPDeviceState returns a device's latest SNMP state, or ErrNotFound if never polled.
func (s *Store) SNMPDeviceState(ctx context.Context, deviceID int64) (SNMPDeviceState, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	st, err := scanSNMPState(s.pool.QueryRow(ctx, `SELECT `+snmpStateCols+` FROM device_snmp_state WHERE device_id = $1`, deviceID))
	if err != nil {
		return st, mapSNMPErr(err, fmt.Sprintf("read SNMP state of device %d", deviceID))
	}
	return st, nil
}

// SNMPInterfaces returns a device's interfaces by ifIndex (empty if never polled).
func (s *Store) SNMPInterfaces(ctx context.Context, deviceID int64) ([]SNMPInterface, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+snmpIfCols+` FROM snmp_interfaces WHERE device_id = $1 ORDER BY if_index`, deviceID)
	if err != nil {
		return nil, fmt.Errorf("read interfaces of device %d: %w", deviceID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SNMPInterface, error) { return scanSNMPInterface(r) })
	if err != nil {
		return nil, fmt.Errorf("read interfaces of device %d: %w", deviceID, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// roles: the set one, else the one the effective profile's pattern derives from the alias
	rows, err = s.pool.Query(ctx, `SELECT i.if_index, i.role, coalesce(p.role_alias_pattern, ''), i.seen_up
		FROM snmp_interfaces i JOIN devices d ON d.id = i.device_id
		LEFT JOIN monitoring_profiles p ON p.id = `+effectiveProfile+`
		WHERE i.device_id = $1`, deviceID)
	if err != nil {
		return nil, fmt.Errorf("read interface roles of device %d: %w", deviceID, err)
	}
	type roleRow struct {
		role, pattern string
		seenUp        bool
	}
	byIdx := map[int64]roleRow{}
	for rows.Next() {
		var idx int64
		var r roleRow
		if err := rows.Scan(&idx, &r.role, &r.pattern, &r.seenUp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read interface roles of device %d: %w", deviceID, err)
		}
		byIdx[idx] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read interface roles of device %d: %w", deviceID, err)
	}
	patterns := rolePatterns{}
	for i := range out {
		r := byIdx[int64(out[i].IfIndex)]
		out[i].Role, out[i].SeenUp = r.role, r.seenUp
		if r.role == "" && r.pattern != "" {
			out[i].Role = alert.RoleFromAlias(patterns.get(r.pattern), out[i].Alias)
			out[i].RoleDerived = out[i].Role != ""
		}
	}
	return out, nil
}

// SNMPPrevious returns the last state and interfaces of each device of ids that has been
// polled before: two queries, whatever the number of devices.
func (s *Store) SNMPPrevious(ctx context.Context, ids []int64) (map[int64]SNMPPrevious, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out := make(map[int64]SNMPPrevious, len(ids))
	rows, err := s.pool.Query(ctx, `SELECT `+snmpStateCols+` FROM device_snmp_state WHERE device_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read SNMP states: %w", err)
	}
	states, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SNMPDeviceState, error) { return scanSNMPState(r) })
	if err != nil {
		return nil, fmt.Errorf("read SNMP states: %w", err)
	}
	for _, st := range states {
		out[st.DeviceID] = SNMPPrevious{State: st}
	}
	rows, err = s.pool.Query(ctx, `SELECT `+snmpIfCols+` FROM snmp_interfaces WHERE device_id = ANY($1) ORDER BY device_id, if_index`, ids)
	if err != nil {
		return nil, fmt.Errorf("read interface states: %w", err)
	}
	ifs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SNMPInterface, error) { return scanSNMPInterface(r) })
	if err != nil {
		return nil, fmt.Errorf("read interface states: %w", err)
	}
	for _, i := range ifs {
		p := out[i.DeviceID]
		p.Interfaces = append(p.Interfaces, i)
		out[i.DeviceID] = p
	}
	return out, nil
}

// SaveSNMPPolls stores the outcome of a batch of polls in one transaction (one round trip of
// batched statements): states, interfaces and events together, so a retried task either sees
// everything of a poll as the new baseline or nothing of it — never an event twice.
func (s *Store) SaveSNMPPolls(ctx context.Context, recs []SNMPPollRecord) error {
	if len(recs) == 0 {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	b := &pgx.Batch{}
	for _, r := range recs {
		if err := queueSNMPPoll(b, r); err != nil {
			return err
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("save %d SNMP polls: %w", len(recs), err)
	}
	return nil
}

func queueSNMPPoll(b *pgx.Batch, r SNMPPollRecord) error {
	st := r.State
	if !r.Success {
		b.Queue(`
			INSERT INTO device_snmp_state (device_id, last_poll, poll_ms, last_error, last_error_kind)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (device_id) DO UPDATE SET last_poll = EXCLUDED.last_poll, poll_ms = EXCLUDED.poll_ms,
				last_error = EXCLUDED.last_error, last_error_kind = EXCLUDED.last_error_kind`,
			st.DeviceID, st.LastPoll, st.PollMS, st.LastError, st.LastErrorKind)
		return queueSNMPEvents(b, r.Events)
	}
	extra, err := json.Marshal(nonNilMap(st.Extra))
	if err != nil {
		return fmt.Errorf("encode extra values of device %d: %w", st.DeviceID, err)
	}
	b.Queue(`
		INSERT INTO device_snmp_state (`+snmpStateCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (device_id) DO UPDATE SET sys_name = EXCLUDED.sys_name, sys_descr = EXCLUDED.sys_descr,
			sys_object_id = EXCLUDED.sys_object_id, uptime_ticks = EXCLUDED.uptime_ticks,
			uptime_source = EXCLUDED.uptime_source, cpu_pct = EXCLUDED.cpu_pct, mem_pct = EXCLUDED.mem_pct,
			extra = EXCLUDED.extra, last_poll = EXCLUDED.last_poll, last_success = EXCLUDED.last_success,
			poll_ms = EXCLUDED.poll_ms, last_error = EXCLUDED.last_error, last_error_kind = EXCLUDED.last_error_kind`,
		st.DeviceID, st.SysName, st.SysDescr, st.SysObjectID, st.UptimeTicks, st.UptimeSource, st.CPUPercent,
		st.MemPercent, extra, st.LastPoll, st.LastSuccess, st.PollMS, st.LastError, st.LastErrorKind)
	queueSNMPInterfaces(b, st.DeviceID, r.Interfaces)
	return queueSNMPEvents(b, r.Events)
}

func nonNilMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// queueSNMPInterfaces upserts a device's interfaces with one statement over arrays and
// deletes the ones the agent no longer lists.
func queueSNMPInterfaces(b *pgx.Batch, deviceID int64, ifs []SNMPInterface) {
	n := len(ifs)
	idx, speed, in, out, disc, drops := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	name, alias, descr, admin, oper := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	inBits, outBits := make([]int16, n), make([]int16, n)
	ie, oe, id, od := make([]*int64, n), make([]*int64, n), make([]*int64, n), make([]*int64, n)
	rates := [6][]*float64{make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)}
	change, polled := make([]*time.Time, n), make([]time.Time, n)
	for k, i := range ifs {
		idx[k], speed[k], in[k], out[k], disc[k], drops[k] = int64(i.IfIndex), int64(i.SpeedBps), int64(i.InOctets), int64(i.OutOctets), int64(i.DiscontinuityTicks), i.OverSpeedDrops
		name[k], alias[k], descr[k], admin[k], oper[k] = i.Name, i.Alias, i.Descr, i.AdminStatus, i.OperStatus
		inBits[k], outBits[k] = int16(i.InOctetsBits), int16(i.OutOctetsBits)
		ie[k], oe[k], id[k], od[k] = toI64(i.InErrors), toI64(i.OutErrors), toI64(i.InDiscards), toI64(i.OutDiscards)
		rates[0][k], rates[1][k], rates[2][k], rates[3][k], rates[4][k], rates[5][k] = i.InBps, i.OutBps, i.InErrorsPS, i.OutErrorsPS, i.InDiscardsPS, i.OutDiscardsPS
		change[k], polled[k] = i.LastChange, i.PolledAt
	}
	b.Queue(`DELETE FROM snmp_interfaces WHERE device_id = $1 AND NOT (if_index = ANY($2))`, deviceID, idx)
	if n == 0 {
		return
	}
	b.Queue(`
		INSERT INTO snmp_interfaces (`+snmpIfCols+`)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bigint[], $9::bigint[], $10::bigint[], $11::smallint[], $12::smallint[], $13::bigint[],
			$14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::float8[], $19::float8[],
			$20::float8[], $21::float8[], $22::float8[], $23::float8[], $24::bigint[], $25::timestamptz[],
			$26::timestamptz[])
		ON CONFLICT (device_id, if_index) DO UPDATE SET name = EXCLUDED.name, alias = EXCLUDED.alias,
			descr = EXCLUDED.descr, admin_status = EXCLUDED.admin_status, oper_status = EXCLUDED.oper_status,
			speed_bps = EXCLUDED.speed_bps, in_octets = EXCLUDED.in_octets, out_octets = EXCLUDED.out_octets,
			in_octets_bits = EXCLUDED.in_octets_bits, out_octets_bits = EXCLUDED.out_octets_bits,
			in_errors = EXCLUDED.in_errors, out_errors = EXCLUDED.out_errors, in_discards = EXCLUDED.in_discards,
			out_discards = EXCLUDED.out_discards, discontinuity_ticks = EXCLUDED.discontinuity_ticks,
			in_bps = EXCLUDED.in_bps, out_bps = EXCLUDED.out_bps, in_errors_ps = EXCLUDED.in_errors_ps,
			out_errors_ps = EXCLUDED.out_errors_ps, in_discards_ps = EXCLUDED.in_discards_ps,
			out_discards_ps = EXCLUDED.out_discards_ps, overspeed_drops = EXCLUDED.overspeed_drops,
			last_change = EXCLUDED.last_change, polled_at = EXCLUDED.polled_at`,
		deviceID, idx, name, alias, descr, admin, oper, speed, in, out, inBits, outBits, ie, oe, id, od, disc,
		rates[0], rates[1], rates[2], rates[3], rates[4], rates[5], drops, change, polled)
	// link-down semantics: an interface once up has been seen up (if_down alerts only on those)
	b.Queue(`UPDATE snmp_interfaces SET seen_up = true WHERE device_id = $1 AND oper_status = 'up' AND NOT seen_up`, deviceID)
}

func queueSNMPEvents(b *pgx.Batch, evs []SNMPEvent) error {
	for _, e := range evs {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("encode %s event of device %d: %w", e.Kind, e.DeviceID, err)
		}
		if e.Detail == nil {
			detail = []byte("{}")
		}
		b.Queue(`INSERT INTO device_events (device_id, at, kind, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.DeviceID, e.At, e.Kind, nullIfEmpty(e.FromStatus), nullIfEmpty(e.ToStatus), detail)
	}
	return nil
}

// SetInterfaceRole sets the role of interface ifIndex of a device ("" clears it: the role is
// then derived from the alias by the profile's pattern). It returns the previous role, and
// ErrNotFound when the device has no such interface.
func (s *Store) SetInterfaceRole(ctx context.Context, deviceID, ifIndex int64, role string) (string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var before string
	err := s.pool.QueryRow(ctx, `UPDATE snmp_interfaces i SET role = $3 FROM snmp_interfaces o
		WHERE i.device_id = $1 AND i.if_index = $2 AND o.device_id = i.device_id AND o.if_index = i.if_index
		RETURNING o.role`, deviceID, ifIndex, role).Scan(&before)
	return before, mapErr(err, fmt.Sprintf("set role of interface %d of device %d", ifIndex, deviceID))
}

// InterfaceSeenUp reports whether interface ifIndex of a device has been up since discovered.
func (s *Store) InterfaceSeenUp(ctx context.Context, deviceID, ifIndex int64) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var seen bool
	err := s.pool.QueryRow(ctx, `SELECT seen_up FROM snmp_interfaces WHERE device_id = $1 AND if_index = $2`, deviceID, ifIndex).Scan(&seen)
	return seen, mapErr(err, fmt.Sprintf("read interface %d of device %d", ifIndex, deviceID))
}
