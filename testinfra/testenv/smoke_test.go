package testenv_test

import (
	"github.com/wardops/wardops/testinfra/testenv"
	"testing"
)

func TestSmoke(t *testing.T) {
	p := testenv.NewDB(t)
	var n int
	if err := p.QueryRow(t.Context(), "select count(*) from monitoring_profiles").Scan(&n); err != nil || n != 1 {
		t.Fatal(err, n)
	}
	r := testenv.NewRedis(t)
	if err := r.Ping(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
}
