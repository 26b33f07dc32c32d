// Package manifest is the contract between build and apply: the files a
// build output directory holds, what manifest.json says about each stack
// (where it goes, its template file and checksum, its parameters, its
// dependencies, its tags), the limits CloudFormation sets on a template, and
// reading and writing all of it.
//
// The compiler writes a build output through this package and deploy reads
// one through it; neither needs the other. The package imports only the
// standard library.
package manifest
