# expect: E0500
profile p {
  /etc/a r
}
