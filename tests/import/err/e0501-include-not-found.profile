# expect: E0501
include <tunables/nowhere>
profile p {
  /etc/a r,
}
