// Package layercheck validates one layer's weights as read from a model
// file: the sizes its architecture wants and finite values. The CNN and
// the VAE check their layers with it, so a corrupt file is refused with
// the same words whichever model it holds.
package layercheck
