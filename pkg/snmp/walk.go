package snmp

import (
	"context"
	"fmt"

	"github.com/gosnmp/gosnmp"
)

const (
	// maxColumnsPerRequest keeps a GetBulk under gosnmp's 60-OID limit.
	maxColumnsPerRequest = 40
	// maxWalkRequests stops a walk of an agent that never ends its tables.
	maxWalkRequests = 5000
)

// column is the walk state of one table column.
type column struct {
	root OID
	last OID
	rows int
	done bool
}

// walkPlan is what to walk: the column roots, GetBulk max-repetitions, and the number of rows
// the table is announced to have (ifNumber; 0 when unknown).
type walkPlan struct {
	roots      []OID
	maxRep     int
	expectRows int
}

// repetitions sizes the next GetBulk: max-repetitions, but no more rows than the table is
// expected to have plus one to see its end, so the last request does not fetch a whole page
// of the next column (a third of the values of a 20-row table at max-repetitions 10). A table
// that outgrows the hint (ifNumber is wrong on some agents) drops the hint.
func (w *walkPlan) repetitions(cols []column, open []int) int {
	if w.expectRows <= 0 {
		return w.maxRep
	}
	least := cols[open[0]].rows
	for _, c := range open[1:] {
		least = min(least, cols[c].rows)
	}
	if least > w.expectRows {
		w.expectRows = 0
		return w.maxRep
	}
	return max(1, min(w.maxRep, w.expectRows+1-least))
}

// visitFunc receives one walked cell: the column's position in the roots, the row index
// (the OID below the column root) and the value.
type visitFunc func(col int, index OID, pdu gosnmp.SnmpPDU)

// walkColumns walks several table columns together: each GetBulk asks for the next
// maxRep rows of every column still open, so a 20-row table of 14 columns costs 3 round trips
// instead of 14 walks. A column ends when the agent returns an OID outside it or
// endOfMibView. An agent that truncates its answer (fewer varbinds than asked) is fine: each
// column continues from the last OID it got. tooBig halves max-repetitions, then the number of
// columns per request. It returns the number of requests made.
func walkColumns(ctx context.Context, s session, t Target, w walkPlan, visit visitFunc) (int, error) {
	cols := make([]column, len(w.roots))
	for i, r := range w.roots {
		cols[i] = column{root: r, last: r}
	}
	maxRep, perReq, requests := max(w.maxRep, 1), maxColumnsPerRequest, 0
	for {
		open := openColumns(cols, perReq)
		if len(open) == 0 {
			return requests, nil
		}
		if err := ctx.Err(); err != nil {
			return requests, classify(err, t)
		}
		if requests++; requests > maxWalkRequests {
			return requests, &Error{Kind: KindProtocol, Detail: fmt.Sprintf("walk of %s did not end after %d requests", t.Address(), maxWalkRequests)}
		}
		oids := make([]string, len(open))
		for i, c := range open {
			oids[i] = cols[c].last.dotted()
		}
		w.maxRep = maxRep
		pkt, err := s.GetBulk(oids, 0, uint32(w.repetitions(cols, open)))
		if err != nil {
			return requests, classify(err, t)
		}
		if pkt.Error == gosnmp.TooBig {
			if maxRep, perReq, err = shrink(maxRep, perReq, t); err != nil {
				return requests, err
			}
			continue
		}
		if pkt.Error != gosnmp.NoError {
			return requests, agentError(pkt.Error, pkt.ErrorIndex, t)
		}
		if err := absorb(cols, open, pkt.Variables, visit, t); err != nil {
			return requests, err
		}
	}
}

func openColumns(cols []column, limit int) []int {
	var open []int
	for i := range cols {
		if !cols[i].done && len(open) < limit {
			open = append(open, i)
		}
	}
	return open
}

func shrink(maxRep, perReq int, t Target) (int, int, error) {
	switch {
	case maxRep > 1:
		return maxRep / 2, perReq, nil
	case perReq > 1:
		return maxRep, perReq / 2, nil
	}
	return 0, 0, &Error{Kind: KindAgent, Detail: "agent " + t.Address() + " answers tooBig even for one value"}
}

// absorb hands the varbinds of one GetBulk answer to their columns: varbind i belongs to
// column open[i mod len(open)] (RFC 3416 §4.2.3 orders repetitions row by row).
func absorb(cols []column, open []int, vars []gosnmp.SnmpPDU, visit visitFunc, t Target) error {
	progressed := false
	for i, v := range vars {
		ci := open[i%len(open)]
		c := &cols[ci]
		if c.done {
			continue
		}
		switch v.Type {
		case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
			c.done = true
			continue
		}
		o, err := ParseOID(v.Name)
		if err != nil || !o.HasPrefix(c.root) {
			c.done = true
			continue
		}
		if o.Compare(c.last) <= 0 {
			return &Error{Kind: KindProtocol, Detail: fmt.Sprintf("agent %s returned %s after %s: OIDs not increasing", t.Address(), o, c.last)}
		}
		c.last = o
		c.rows++
		visit(ci, o[len(c.root):], v)
		progressed = true
	}
	if !progressed {
		for _, ci := range open {
			if !cols[ci].done {
				return &Error{Kind: KindProtocol, Detail: fmt.Sprintf("agent %s answered a GetBulk without any value", t.Address())}
			}
		}
	}
	return nil
}
