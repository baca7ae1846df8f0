# expect: E0505
# A file of variables only.
@{A}=/a
