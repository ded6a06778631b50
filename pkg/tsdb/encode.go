package tsdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrInvalidSample is returned (wrapped, with a count) by Write when some samples had an
// invalid metric or label name; the valid samples of the call are still written.
var ErrInvalidSample = errors.New("invalid sample")

// batch is one encoded Write call: the gzip-compressed Prometheus text body that is posted to
// VictoriaMetrics and, when that fails, spooled as is.
type batch struct {
	body    []byte
	samples int
	oldest  time.Time
	invalid int
}

// encoder turns samples into gzip-compressed Prometheus text exposition lines with
// millisecond timestamps. It keeps gzip writers for reuse; safe for concurrent use.
type encoder struct {
	gz   sync.Pool // *gzip.Writer
	text sync.Pool // *[]byte, the uncompressed lines
}

func (e *encoder) encode(samples []Sample) (batch, error) {
	tp, _ := e.text.Get().(*[]byte)
	if tp == nil {
		tp = new([]byte)
	}
	defer e.text.Put(tp)
	text := (*tp)[:0]
	if need := len(samples) * 160; cap(text) < need {
		text = make([]byte, 0, need)
	}
	defer func() { *tp = text[:0] }()
	b := batch{}
	for i := range samples {
		line, err := appendLine(text, &samples[i])
		if err != nil {
			b.invalid++
			continue
		}
		text = line
		b.samples++
		if at := samples[i].At; b.oldest.IsZero() || at.Before(b.oldest) {
			b.oldest = at
		}
	}
	body, err := e.compress(text)
	if err != nil {
		return batch{}, err
	}
	b.body = body
	return b, nil
}

func (e *encoder) compress(text []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(text)/4 + 64)
	zw, _ := e.gz.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed) // level is valid: no error
	} else {
		zw.Reset(&buf)
	}
	defer e.gz.Put(zw)
	if _, err := zw.Write(text); err != nil {
		return nil, fmt.Errorf("gzip samples: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip samples: %w", err)
	}
	return buf.Bytes(), nil
}

// appendLine appends `name{l="v",…} value timestamp_ms\n` to dst. Labels with an empty value
// are left out (Prometheus treats them as absent).
func appendLine(dst []byte, s *Sample) ([]byte, error) {
	if !validMetricName(s.Metric) {
		return dst, fmt.Errorf("metric name %q: %w", s.Metric, ErrInvalidSample)
	}
	for _, l := range s.Labels {
		if !validLabelName(l.Name) {
			return dst, fmt.Errorf("label name %q of %s: %w", l.Name, s.Metric, ErrInvalidSample)
		}
	}
	if s.At.IsZero() {
		return dst, fmt.Errorf("zero timestamp of %s: %w", s.Metric, ErrInvalidSample)
	}
	dst = append(dst, s.Metric...)
	sep := byte('{')
	for _, l := range s.Labels {
		if l.Value == "" {
			continue
		}
		dst = append(dst, sep)
		sep = ','
		dst = append(dst, l.Name...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, l.Value)
		dst = append(dst, '"')
	}
	if sep == ',' {
		dst = append(dst, '}')
	}
	dst = append(dst, ' ')
	dst = strconv.AppendFloat(dst, s.Value, 'g', -1, 64)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, s.At.UnixMilli(), 10)
	return append(dst, '\n'), nil
}

func appendEscaped(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '"':
			dst = append(dst, '\\', '"')
		case '\n':
			dst = append(dst, '\\', 'n')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func validMetricName(s string) bool {
	return validName(s, true)
}

func validLabelName(s string) bool {
	return validName(s, false) && !strings.HasPrefix(s, "__")
}

// validName checks [a-zA-Z_:][a-zA-Z0-9_:]* (colons only in metric names).
func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(i > 0 && c >= '0' && c <= '9') || (colon && c == ':')
		if !ok {
			return false
		}
	}
	return true
}

// trimBody drops the first k lines of a gzip-compressed text body and returns the rest,
// recompressed, with the number of lines kept and the oldest timestamp among them.
func (e *encoder) trimBody(body []byte, k int) (rest []byte, kept int, oldest time.Time, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("read spooled batch: %w", err)
	}
	var text []byte
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for i := 0; sc.Scan(); i++ {
		if i < k {
			continue
		}
		line := sc.Bytes()
		if ms, ok := lineMillis(line); ok {
			if t := time.UnixMilli(ms); oldest.IsZero() || t.Before(oldest) {
				oldest = t
			}
		}
		text = append(append(text, line...), '\n')
		kept++
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, time.Time{}, fmt.Errorf("read spooled batch: %w", err)
	}
	rest, err = e.compress(text)
	return rest, kept, oldest.UTC(), err
}

// lineMillis parses the trailing timestamp of a text line.
func lineMillis(line []byte) (int64, bool) {
	i := bytes.LastIndexByte(line, ' ')
	if i < 0 {
		return 0, false
	}
	ms, err := strconv.ParseInt(string(line[i+1:]), 10, 64)
	return ms, err == nil
}
