package api

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/store"
)

// Rules: reads from the store, writes through the alert service (which drops the rule cache).

func (s *Server) listRules(c *echo.Context) error {
	rules, err := s.p.Store.ListAlertRules(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rules": orEmpty(rules)})
}

func (s *Server) getRule(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := s.p.Store.GetAlertRule(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "rule", id)
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) createRule(c *echo.Context) error {
	var in alert.RuleInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	r, err := s.p.Alerting.Alerts.CreateRule(c.Request().Context(), in)
	if err != nil {
		return alertError(err, "rule", "")
	}
	s.record(c, "rule.create", "rule", r.ID, nil, r)
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) patchRule(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in alert.RuleInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetAlertRule, id)
	r, err := s.p.Alerting.Alerts.UpdateRule(c.Request().Context(), id, in)
	if err != nil {
		return alertError(err, "rule", id)
	}
	s.record(c, "rule.update", "rule", id, before, r)
	return c.JSON(http.StatusOK, r)
}

func (s *Server) deleteRule(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetAlertRule, id)
	if err := s.p.Alerting.Alerts.DeleteRule(c.Request().Context(), id); err != nil {
		return alertError(err, "rule", id)
	}
	s.record(c, "rule.delete", "rule", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// Maintenance windows (operators manage them).

func (s *Server) listWindows(c *echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.p.Store.ListWindows(ctx)
	if err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	if !sc.All() { // a scoped caller sees the windows that stay inside its scope
		mine := ws[:0]
		for _, w := range ws {
			ok, err := s.targetsInScope(ctx, sc, w.Targets)
			if err != nil {
				return err
			}
			if ok {
				mine = append(mine, w)
			}
		}
		ws = mine
	}
	return c.JSON(http.StatusOK, map[string]any{"windows": orEmpty(ws)})
}

func (s *Server) getWindow(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkWindow(c, id); err != nil {
		return err
	}
	w, err := s.p.Store.GetWindow(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "maintenance window", id)
	}
	return c.JSON(http.StatusOK, w)
}

func (s *Server) createWindow(c *echo.Context) error {
	var in alert.WindowInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	in.CreatedBy = who(c)
	if err := s.checkTargets(c, in.Targets); err != nil {
		return err
	}
	w, err := s.p.Store.CreateWindow(c.Request().Context(), in)
	if err != nil {
		return alertError(err, "maintenance window", in.Name)
	}
	s.record(c, "window.create", "maintenance_window", w.ID, nil, w)
	return c.JSON(http.StatusCreated, w)
}

// putWindow replaces a window whole (its fields relate: kind decides which times apply).
func (s *Server) putWindow(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkWindow(c, id); err != nil {
		return err
	}
	var in alert.WindowInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	in.CreatedBy = who(c)
	if err := s.checkTargets(c, in.Targets); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetWindow, id)
	w, err := s.p.Store.UpdateWindow(c.Request().Context(), id, in)
	if err != nil {
		return alertError(err, "maintenance window", id)
	}
	s.record(c, "window.update", "maintenance_window", id, before, w)
	return c.JSON(http.StatusOK, w)
}

func (s *Server) deleteWindow(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkWindow(c, id); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetWindow, id)
	if err := s.p.Store.DeleteWindow(c.Request().Context(), id); err != nil {
		return storeError(err, "maintenance window", id)
	}
	s.record(c, "window.delete", "maintenance_window", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// Notification channels: secrets are write-only (the service scrubs them from every answer).

func (s *Server) listChannels(c *echo.Context) error {
	chs, err := s.p.Alerting.Channels.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channels": orEmpty(chs)})
}

func (s *Server) getChannel(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ch, err := s.p.Alerting.Channels.Get(c.Request().Context(), id)
	if err != nil {
		return alertError(err, "channel", id)
	}
	return c.JSON(http.StatusOK, ch)
}

func (s *Server) createChannel(c *echo.Context) error {
	var in notify.ChannelInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	ch, err := s.p.Alerting.Channels.Create(c.Request().Context(), in)
	if err != nil {
		return alertError(err, "channel", "")
	}
	s.record(c, "channel.create", "channel", ch.ID, nil, ch)
	return c.JSON(http.StatusCreated, ch)
}

func (s *Server) patchChannel(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in notify.ChannelInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Alerting.Channels.Get, id)
	ch, err := s.p.Alerting.Channels.Update(c.Request().Context(), id, in)
	if err != nil {
		return alertError(err, "channel", id)
	}
	s.record(c, "channel.update", "channel", id, before, ch)
	return c.JSON(http.StatusOK, ch)
}

func (s *Server) deleteChannel(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Alerting.Channels.Get, id)
	if err := s.p.Alerting.Channels.Delete(c.Request().Context(), id); err != nil {
		return alertError(err, "channel", id)
	}
	s.record(c, "channel.delete", "channel", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// testChannel sends a test message now and answers the delivery (state, error).
func (s *Server) testChannel(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.p.Alerting.Channels.SendTest(c.Request().Context(), id)
	if err != nil && d.Key == "" {
		return alertError(err, "channel", id)
	}
	return c.JSON(http.StatusOK, map[string]any{"delivery": d})
}

// listDeliveries: ?alert_id=&channel_id=&state=&cursor=&limit= → {"deliveries":[…]}.
func (s *Server) listDeliveries(c *echo.Context) error {
	var f store.DeliveryFilter
	var err error
	if f.AlertID, err = queryInt(c, "alert_id", 0, 1<<62); err != nil {
		return err
	}
	if f.ChannelID, err = queryInt(c, "channel_id", 0, 1<<62); err != nil {
		return err
	}
	if f.Before, err = queryInt(c, "cursor", 0, 1<<62); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1, 1000)
	if err != nil {
		return err
	}
	f.Limit, f.State = int(limit), c.QueryParam("state")
	if _, err := fieldSafe("state", f.State); err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	f.Scope = sc.Device()
	dl, err := s.p.Store.ListDeliveries(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": orEmpty(dl)})
}
