// A seed-style Go echo server: one goroutine per connection, io.Copy back to
// the client. A baseline for `npm run bench:compare`.
//
// Usage: go-echo PORT [HOST]   (prints "listening PORT" once bound)
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-echo PORT [HOST]")
		os.Exit(2)
	}
	host := "127.0.0.1"
	if len(os.Args) > 2 {
		host = os.Args[2]
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			io.Copy(c, c)
		}(conn)
	}
}
