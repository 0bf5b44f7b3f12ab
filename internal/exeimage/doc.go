// Package exeimage writes the start of programs as linkers lay them out
// (a Windows PE's headers, an ELF identification), for the lab's stagers
// and the tests of what recognises a program sent raw (flow/program).
package exeimage
