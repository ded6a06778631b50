// Package directory signs WardOps users in against Active Directory or another LDAP server:
// a service account searches the user by a filter (the name escaped), the password is checked
// by binding as the user over TLS (LDAPS or StartTLS, never plain), a disabled account is
// refused, and the user's groups — nested ones followed by repeated group searches, since
// OpenLDAP lacks AD's LDAP_MATCHING_RULE_IN_CHAIN — are mapped to WardOps roles.
//
// It implements auth.Directory; cmd/api builds it from config.LDAP.
package directory
