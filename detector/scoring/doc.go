// Package scoring holds what a detector model and the sensor exchange:
// the flows to score (with their parsed handshakes), the Scorer interface
// every model kind implements, and the reasons an alert gives. It is kept
// apart from package detector so that the sensor depends on the interface,
// not on the models' training code.
//
// # Context
//
// Some evidence about a flow is in other flows: its client's connections
// to the same destination keep a rhythm (a beacon), or its server showed
// a self-signed certificate in an earlier full handshake that this
// resumed session does not send again. The sensor gathers such facts in
// the order the flows were handed out (Input.Context) and a scorer that
// weighs evidence in bits adds them, the strongest of each group.
package scoring
