package chaos

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Series is one line of a chart.
type Series struct {
	Name string
	X, Y []float64
}

// Panel is one chart: a title, a y unit and its lines.
type Panel struct {
	Title  string
	Unit   string
	Series []Series
}

// Panel geometry of PlotSVG.
const (
	panelW, panelH = 560, 260
	padL, padR     = 60, 20
	padT, padB     = 30, 60
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// PlotSVG draws panels two per row as one SVG image (no dependency on gnuplot or a browser),
// the x axis in minutes.
func PlotSVG(w io.Writer, title string, panels []Panel) error {
	cols := 2
	rows := (len(panels) + cols - 1) / cols
	width, height := cols*panelW, rows*panelH+40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="24" font-size="15" text-anchor="middle">%s</text>`+"\n",
		width/2, html.EscapeString(title))
	for i, p := range panels {
		plotPanel(&b, p, (i%cols)*panelW, 40+(i/cols)*panelH)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func plotPanel(b *strings.Builder, p Panel, ox, oy int) {
	xmax, ymax := 1.0, 1.0
	for _, s := range p.Series {
		for i := range s.X {
			xmax, ymax = math.Max(xmax, s.X[i]), math.Max(ymax, s.Y[i])
		}
	}
	ymax = niceCeil(ymax * 1.1)
	pw, ph := float64(panelW-padL-padR), float64(panelH-padT-padB)
	px := func(x float64) float64 { return float64(ox+padL) + x/xmax*pw }
	py := func(y float64) float64 { return float64(oy+padT) + ph - y/ymax*ph }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13">%s</text>`+"\n", ox+padL, oy+18, html.EscapeString(p.Title))
	for i := 0; i <= 4; i++ { // horizontal grid with y labels
		y := ymax * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, px(0), py(y), px(xmax), py(y))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", px(0)-4, py(y)+4, fmtTick(y))
	}
	for i := 0; i <= 5; i++ { // x labels in minutes
		x := xmax * float64(i) / 5
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(x), py(0)+14, fmtTick(x))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">minutes</text>`+"\n", px(xmax/2), py(0)+28)
	fmt.Fprintf(b, `<text x="%d" y="%.1f" transform="rotate(-90 %d %.1f)" text-anchor="middle">%s</text>`+"\n",
		ox+14, py(ymax/2), ox+14, py(ymax/2), html.EscapeString(p.Unit))
	for i, s := range p.Series {
		color := palette[i%len(palette)]
		var pts []string
		for j := range s.X {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		lx := ox + padL + i*130
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			lx, oy+panelH-18, color, lx+14, oy+panelH-9, html.EscapeString(s.Name))
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
