# expect: E0504
@{A}=a b c d e f g h
profile p {
  /@{A}@{A}@{A}@{A}@{A}@{A} r,
}
