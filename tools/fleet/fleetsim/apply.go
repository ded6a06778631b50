package fleetsim

import (
	"context"
	"fmt"
	"time"
)

// Summary says what Apply or Remove did.
type Summary struct {
	Created, Updated, Deleted, SNMP int
	Took                            time.Duration
}

// Apply makes the registered fleet exactly the first n devices of the plan, m of them SNMP
// agents: it imports the devices (creating or updating by name), deletes fleet devices beyond
// n, starts the simulators with m data files and sets the agents' SNMP settings.
func Apply(ctx context.Context, c *Client, agents Agents, n, m int) (Summary, error) {
	plan, err := Plan(n)
	if err != nil {
		return Summary{}, err
	}
	return ApplyPlan(ctx, c, agents, plan, m)
}

// ApplyPlan is Apply for a plan the caller made (or changed, e.g. with Unreachable).
func ApplyPlan(ctx context.Context, c *Client, agents Agents, plan []Device, m int) (Summary, error) {
	start := time.Now()
	var s Summary
	n := len(plan)
	if m > n {
		return s, fmt.Errorf("--snmp %d is more than --devices %d", m, n)
	}
	var err error
	if s.Created, s.Updated, err = c.Import(ctx, plan); err != nil {
		return s, err
	}
	listed, err := c.ListFleet(ctx)
	if err != nil {
		return s, err
	}
	ids := make(map[string]int64, len(listed))
	wanted := make(map[string]bool, len(plan))
	for _, d := range plan {
		wanted[d.Name] = true
	}
	var extra []int64
	for _, l := range listed {
		ids[l.Name] = l.ID
		if !wanted[l.Name] {
			extra = append(extra, l.ID)
		}
	}
	if len(extra) > 0 {
		c.progress("deleting %d fleet devices beyond the first %d", len(extra), n)
		if err := c.Delete(ctx, extra); err != nil {
			return s, err
		}
		s.Deleted = len(extra)
	}
	picked := SNMPAgents(plan, m)
	now := make(map[string]bool, len(picked))
	names := make([]string, len(picked))
	for k, i := range picked {
		now[plan[i].Name], names[k] = true, plan[i].Name
	}
	if err := dropAgents(ctx, c, agents, now, ids, m); err != nil {
		return s, err
	}
	if err := agents.SetNames(names); err != nil {
		return s, err
	}
	if err := agents.Start(ctx, m); err != nil {
		return s, err
	}
	agentIDs, settings := make([]int64, len(picked)), make([]SNMPv2c, len(picked))
	for k, i := range picked {
		id, ok := ids[plan[i].Name]
		if !ok {
			return s, fmt.Errorf("device %s was imported but is not listed", plan[i].Name)
		}
		agentIDs[k], settings[k] = id, agents.Settings(k)
	}
	if err := c.PutSNMP(ctx, agentIDs, settings); err != nil {
		return s, err
	}
	s.SNMP = len(picked)
	s.Took = time.Since(start)
	return s, nil
}

// dropAgents removes the SNMP settings of the devices a previous Apply made agents (their
// names are kept in Dir/agents) that are not agents now, and stops the simulators at m = 0.
// (Which devices are picked depends on n as well as m, so the names are remembered, not
// recomputed.)
func dropAgents(ctx context.Context, c *Client, agents Agents, now map[string]bool, ids map[string]int64, m int) error {
	var drop []int64
	for _, name := range agents.Names() {
		if id, ok := ids[name]; ok && !now[name] {
			drop = append(drop, id)
		}
	}
	if len(drop) > 0 {
		c.progress("removing the SNMP settings of %d former agents", len(drop))
		if err := c.DeleteSNMP(ctx, drop); err != nil {
			return err
		}
	}
	if m == 0 {
		return agents.Stop(ctx)
	}
	return nil
}

// Remove deletes every fleet device (name prefix and label; nothing else) and stops and
// removes the simulators and their data files.
func Remove(ctx context.Context, c *Client, agents Agents) (Summary, error) {
	start := time.Now()
	var s Summary
	listed, err := c.ListFleet(ctx)
	if err != nil {
		return s, err
	}
	ids := make([]int64, len(listed))
	for i, l := range listed {
		ids[i] = l.ID
	}
	if err := c.Delete(ctx, ids); err != nil {
		return s, err
	}
	s.Deleted = len(ids)
	if err := agents.Stop(ctx); err != nil {
		return s, err
	}
	s.Took = time.Since(start)
	return s, nil
}
