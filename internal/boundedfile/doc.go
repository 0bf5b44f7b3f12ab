// Package boundedfile reads files an operator names (model files, block
// lists) whose size and kind are checked before a byte is read: a
// directory, a device, a pipe or a file past the bound is refused at
// once, with a message that says what the file should have been.
package boundedfile
