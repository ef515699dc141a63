-- An edit the engine refuses (a class's bases) shows up as a diagnostic on its line.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
local bufnr = H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
local line = H.replace('class Shape:', 'class Shape(Base):')
local patch = H.expect_patch(function()
  vim.cmd.write()
end)
H.wait(20000, function()
  return #vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR }) > 0
end, 'an error diagnostic')
local diagnostics = {}
for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(diagnostics, {
    lnum = diagnostic.lnum,
    severity = diagnostic.severity,
    message = diagnostic.message,
    source = diagnostic.source,
    code = diagnostic.code,
  })
end
H.finish({ patch = patch, diagnostics = diagnostics, edited_line = line - 1 })
