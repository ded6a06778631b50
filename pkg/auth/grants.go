package auth

// effectiveGrant folds the grants a directory or an identity provider gives one user into
// the one role and scope a WardOps user has: the highest role, limited to the union of the
// scopes of the grants at that role — unlimited as soon as one of them is. Grants of lower
// roles add nothing (a user cannot be an operator in one region and a viewer elsewhere; map
// such people to one group). An admin is never scoped (the configuration refuses a scoped
// admin mapping; an unscoped result is returned all the same).
func effectiveGrant(grants []Grant) (Role, Scope) {
	role := RoleNone
	for _, g := range grants {
		role = max(role, g.Role)
	}
	var sc Scope
	for _, g := range grants {
		if g.Role != role {
			continue
		}
		if !g.Scoped() || role == RoleAdmin {
			return role, Scope{}
		}
		sc.Regions = append(sc.Regions, g.Regions...)
		sc.Branches = append(sc.Branches, g.Branches...)
	}
	if n, err := NormalizeScope(sc); err == nil {
		sc = n
	}
	return role, sc
}
