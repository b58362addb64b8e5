# Doxygen INPUT_FILTER for libably's public headers (see docs/Doxyfile.in).
# The headers use plain C comments; this turns them into Doxygen comments on the
# fly, so the headers' own text is the API reference and no header needs markup:
#   - the comments before the include guard describe the file (get \file);
#   - a comment on its own line documents what follows it;
#   - a comment after a member, enumerator, declaration or #define documents it.
# Line count is kept, so Doxygen's warnings point at the right header line.

# "<placeholder>" in comment text is prose, not an HTML tag: escape it for Doxygen.
/\/\*\|^[[:space:]]*\*/s/<\([A-Za-z_][A-Za-z_0-9]*\)>/\\<\1\\>/g
# "Connection#id", "#key": the spec's member notation, not a Doxygen link request.
/^[[:space:]]*#/!{
  /\/\*\|^[[:space:]]*\*/s/\([^\\]\|^\)#\([A-Za-z]\)/\1\\#\2/g
}
# Comments before the include guard describe the file (generated headers have two).
1,/^#[[:space:]]*ifndef/{
  s,^/\*\([^*]\),/**\1,
  s,\*/[[:space:]]*$, \\file */,
  b
}
# "/* ---- section ---- */" rulers are not documentation.
/^[[:space:]]*\/\*[[:space:]]*-/b
# A comment on its own line.
s,^\([[:space:]]*\)/\*\([^*-]\),\1/**\2,
# A comment trailing a member, enumerator or declaration.
s,\([;,{]\)\([[:space:]]*\)/\*\([^*<]\),\1\2/**<\3,
# A comment trailing a #define.
s|^\([[:space:]]*#[[:space:]]*define[[:space:]].*[^[:space:]]\)\([[:space:]]\{1,\}\)/\*\([^*<]\)|\1\2/**<\3|
