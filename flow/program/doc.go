// Package program recognises a program sent raw at the start of a TCP
// stream: a Windows PE or an ELF, at byte 0 or after a 4-byte length,
// which is how stagers receive their payload (Metasploit's and Cobalt
// Strike's handlers, and bind payloads fed by the side that connects).
// The flow table's early verdicts (package flow) and the protocol labels
// of the parsers (package flow/tlsparse) decide with this one rule.
package program
