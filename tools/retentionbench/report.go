package main

import (
	"fmt"
	"time"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

func rate(rows int, d time.Duration) float64 { return float64(rows) / d.Seconds() }

// dropMet is the rule of issue #8 (O(1), never a row-by-row DELETE) made checkable in a way
// a loaded machine cannot fake: the drop wrote less than 1 % of the WAL the
// DELETE of the same rows wrote. Its WAL is measured cluster-wide, so other work on the
// server can only make it fail, never pass. (Wall time is reported, not judged: on a loaded
// machine the unlink of the partition's files and the two transactions of DETACH CONCURRENTLY
// vary more than the rule could allow for.)
func (r results) dropMet() bool { return r.drop.drops[partition(day1)].walBytes*100 < r.del.walBytes }

func (r results) print(c config, f fleet) {
	full, empty := r.drop.drops[partition(day1)].took, r.drop.drops[partition(day0)].took
	fullWAL := r.drop.drops[partition(day1)].walBytes
	fmt.Printf("\n| step | rows | wall | rows/s | WAL |\n|---|---|---|---|---|\n")
	fmt.Printf("| store.WritePingResults, batches of %d, %d writers | %s | %s | %s | |\n", c.batch, c.writers,
		commas(int64(f.rows)), durText(r.storeWrite), commas(int64(rate(f.rows, r.storeWrite))))
	fmt.Printf("| psql COPY FROM STDIN (CSV), one stream | %s | %s | %s | |\n",
		commas(int64(f.rows)), durText(r.psqlCopy), commas(int64(rate(f.rows, r.psqlCopy))))
	fmt.Printf("| retention: drop of a day partition (%s with its index) | %s | %s | | ≤ %s (cluster-wide) |\n",
		bytesText(r.partBytes), commas(int64(f.rows)), durText(full), bytesText(fullWAL))
	fmt.Printf("| retention: drop of an empty day partition | 0 | %s | | |\n", durText(empty))
	fmt.Printf("| retention: the whole daily run | | %s | | ≤ %s (cluster-wide) |\n", durText(r.drop.run), bytesText(r.drop.walBytes))
	fmt.Printf("| DELETE of one day's rows | %s | %s | %s | %s (cluster-wide %s) |\n", commas(r.del.rows),
		durText(r.del.took), commas(int64(rate(int(r.del.rows), r.del.took))), bytesText(r.del.walBytes), bytesText(r.del.lsnBytes))
	fmt.Printf("| VACUUM after the DELETE | | %s | | |\n", durText(r.del.vacuum))
	fmt.Printf("\nstore write path at %.0f %% of psql COPY; DELETE took %s× the drop\n",
		100*r.psqlCopy.Seconds()/r.storeWrite.Seconds(), times(r.del.took, full))
}

func (r results) rows(c config, f fleet) []benchfile.Row {
	full, empty := r.drop.drops[partition(day1)].took, r.drop.drops[partition(day0)].took
	fullWAL := r.drop.drops[partition(day1)].walBytes
	n := commas(int64(f.rows))
	return []benchfile.Row{{
		Figure:   fmt.Sprintf("retention: drop of one day partition of ping_results, %s rows", n),
		Target:   "O(1), never a row-by-row DELETE (#8)",
		Measured: fmt.Sprintf("%s, WAL ≤ %s (empty partition %s; whole daily run %s)", durText(full), bytesText(fullWAL), durText(empty), durText(r.drop.run)),
		Met:      benchfile.Met(r.dropMet()),
		Note: fmt.Sprintf("retention.Run → store.DropPartition (DETACH CONCURRENTLY, DROP TABLE) of a %s partition; WAL is the cluster-wide LSN difference over the drop (other work included); met = under 1 %% of the DELETE's WAL, i.e. no row was touched; the drop's time is DROP TABLE unlinking the files, in proportion to their bytes, not their rows",
			bytesText(r.partBytes)),
	}, {
		Figure:   fmt.Sprintf("DELETE of the same %s rows from an identical partition", n),
		Target:   "— (what retention avoids)",
		Measured: fmt.Sprintf("%s = %s× the drop; WAL %s; VACUUM after it %s", durText(r.del.took), times(r.del.took, full), bytesText(r.del.walBytes), durText(r.del.vacuum)),
		Note:     "same run; WAL of the statement from EXPLAIN (ANALYZE, WAL, TIMING OFF); the space is reusable only after VACUUM and the files do not shrink",
	}, {
		Figure: fmt.Sprintf("ping results through the store (WritePingResults, batches of %d, %d writers), %s rows", c.batch, c.writers, n),
		Target: "— (psql COPY is the limit)",
		Measured: fmt.Sprintf("%s rows/s = %.0f %% of psql COPY", commas(int64(rate(f.rows, r.storeWrite))),
			100*r.psqlCopy.Seconds()/r.storeWrite.Seconds()),
		Note: "per batch one transaction: DELETE of a retried batch's rows, binary COPY, latest-status upsert and events (synchronous_commit on); 100,000 devices every 30 s need 3,333 rows/s",
	}, {
		Figure:   fmt.Sprintf("raw COPY … FROM STDIN (CSV) by psql of the same %s rows", n),
		Target:   "— (the limit)",
		Measured: fmt.Sprintf("%s rows/s (%s)", commas(int64(rate(f.rows, r.psqlCopy))), durText(r.psqlCopy)),
		Note:     "one stream into the same partitioned table, same run",
	}}
}

// times is a/b with two significant digits below 10, none above.
func times(a, b time.Duration) string {
	if b <= 0 {
		return "∞"
	}
	x := a.Seconds() / b.Seconds()
	if x < 10 {
		return fmt.Sprintf("%.1f", x)
	}
	return commas(int64(x + 0.5))
}
