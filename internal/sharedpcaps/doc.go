// Package sharedpcaps finds the public captures in ../shared/pcaps that the
// tests and benchmarks read; they are never committed into the project.
package sharedpcaps
