# expect: E0503
profile p {
  @{NOWHERE}/a r,
}
