# Reads OpenStack's meta_data.json and prints "hostname<TAB>value" and one "key<TAB>value" per public_keys entry:
# a small JSON tokenizer, because the guest has busybox but no JSON tool.
{ text = text $0 "\n" }

function json_string(   out, c) {
  out = ""
  for (pos++; pos <= n; pos++) {
    c = substr(text, pos, 1)
    if (c == "\"") { pos++; return out }
    if (c == "\\") {
      c = substr(text, ++pos, 1)
      if (c == "n" || c == "r" || c == "t") c = " "
      else if (c == "u") { c = "?"; pos += 4 }
    }
    out = out c
  }
  return out
}

function emit(value) {
  gsub(/[\t\n]/, " ", value)
  if (depth == 1 && key[1] == "hostname") print "hostname\t" value
  else if (depth == 2 && key[1] == "public_keys") print "key\t" value
}

END {
  n = length(text); pos = 1; depth = 0
  while (pos <= n) {
    c = substr(text, pos, 1)
    if (c == "{" || c == "[") { depth++; kind[depth] = c; want_key[depth] = (c == "{"); key[depth] = ""; pos++ }
    else if (c == "}" || c == "]") { depth--; pos++ }
    else if (c == ":") { want_key[depth] = 0; pos++ }
    else if (c == ",") { want_key[depth] = (kind[depth] == "{"); pos++ }
    else if (c == "\"") {
      s = json_string()
      if (kind[depth] == "{" && want_key[depth]) key[depth] = s
      else emit(s)
    }
    else pos++
  }
}
