// Package scoring holds what a detector model and the sensor exchange:
// the flows to score (with their parsed handshakes), the Scorer interface
// every model kind implements, and the reasons an alert gives. It is kept
// apart from package detector so that the sensor depends on the interface,
// not on the models' training code.
package scoring
