// Package trainloop is the epoch loop the detector's models share: run
// epochs, measure the validation loss, keep the best weights, stop early
// when the validation loss stops improving, and report.
package trainloop
