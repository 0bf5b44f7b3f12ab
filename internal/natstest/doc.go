// Package natstest runs a real NATS server with JetStream inside a test
// process (the server's own Go module, not a mock), on a store directory
// that survives a restart, so that tests can take the server away in the
// middle of a stream and bring it back with what it had stored.
package natstest
