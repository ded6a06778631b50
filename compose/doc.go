// Package compose holds the Docker Compose deployment of WardOps (docker-compose.yml and
// .env.example; docs/DEPLOY.md explains it). No Docker engine runs in CI, so its test parses the
// file and checks the services, healthchecks, capabilities and that every WARDOPS_* variable is
// one the binary reads with a value its validation accepts. There is no Go code to import.
package compose
