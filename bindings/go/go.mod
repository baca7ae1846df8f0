module polc.dev/polc

go 1.19
