# expect: E0502
profile p {
  include "e0502-include-cycle.profile"
}
