// Package image turns a flow's prefix into the detector's input: a 32x32
// grey image, prefix byte i at pixel (i/32, i%32) with value byte/255,
// zero-padded (DESIGN.md section 2), as float32 for the models and as a
// PNG for people and other tools.
package image
