package snmp

import (
	"fmt"
	"net"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// USM report OIDs (RFC 3414) an agent sends, unauthenticated, when it rejects a request.
var usmReports = map[string]error{
	".1.3.6.1.6.3.15.1.1.1.0": gosnmp.ErrUnknownSecurityLevel,
	".1.3.6.1.6.3.15.1.1.3.0": gosnmp.ErrUnknownUsername,
	".1.3.6.1.6.3.15.1.1.5.0": gosnmp.ErrWrongDigest,
	".1.3.6.1.6.3.15.1.1.6.0": gosnmp.ErrDecryption,
}

// recordingConn keeps the last datagram read, so that a v3 report gosnmp discards as "not
// authentic" can still be read: agents send usmStatsWrongDigests and usmStatsUnknownUserNames
// reports without authentication (they cannot authenticate to a user they reject), and gosnmp
// then reports only "incoming packet is not authentic".
type recordingConn struct {
	net.Conn
	last []byte
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.last = append(c.last[:0], b[:n]...)
	}
	return n, err
}

// v3Session is a gosnmp session whose errors are explained by the agent's last report.
type v3Session struct {
	*gosnmp.GoSNMP
	rec *recordingConn
}

func newV3Session(g *gosnmp.GoSNMP) *v3Session {
	rec := &recordingConn{Conn: g.Conn}
	g.Conn = rec
	return &v3Session{GoSNMP: g, rec: rec}
}

func (s *v3Session) Get(oids []string) (*gosnmp.SnmpPacket, error) {
	p, err := s.GoSNMP.Get(oids)
	return p, s.explain(err)
}

func (s *v3Session) GetBulk(oids []string, nonRepeaters uint8, maxRep uint32) (*gosnmp.SnmpPacket, error) {
	p, err := s.GoSNMP.GetBulk(oids, nonRepeaters, maxRep)
	return p, s.explain(err)
}

func (s *v3Session) explain(err error) error {
	if err == nil || !strings.Contains(err.Error(), "not authentic") || len(s.rec.last) == 0 {
		return err
	}
	if rep := reportError(s.rec.last); rep != nil {
		return fmt.Errorf("%w (%v)", rep, err)
	}
	return err
}

// reportError decodes an unauthenticated report and returns the gosnmp error it stands for,
// or nil when the datagram is not such a report. The report is only used to name the failure
// (anyone on the path could forge one); no data is ever taken from it.
func reportError(raw []byte) error {
	d := &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel,
		MsgFlags: gosnmp.NoAuthNoPriv, SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: "report-decoder"}}
	p, err := d.SnmpDecodePacket(raw)
	if err != nil || p.PDUType != gosnmp.Report || len(p.Variables) != 1 {
		return nil
	}
	return usmReports[p.Variables[0].Name]
}
