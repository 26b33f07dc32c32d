module github.com/cicdgen/cicdgen

go 1.26.8

require github.com/awslabs/goformation/v7 v7.14.9

require (
	golang.org/x/sys v0.21.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
