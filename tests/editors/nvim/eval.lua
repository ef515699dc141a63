-- :SpliceEval shows the value as virtual text; hover shows live values; :SpliceUndo steps back.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
local bufnr = H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
local eval = require('splice.eval')

local function virtual_text(line)
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, eval.namespace, { line - 1, 0 }, { line - 1, -1 }, { details = true })
  local texts = {}
  for _, mark in ipairs(marks) do
    for _, chunk in ipairs(mark[4].virt_text or {}) do
      table.insert(texts, chunk[1])
    end
  end
  return table.concat(texts, ' ')
end

local function wait_text(line, pattern, what)
  H.wait(20000, function()
    return virtual_text(line):find(pattern, 1, true) ~= nil
  end, what .. ' (virtual text now: ' .. virtual_text(line) .. ')')
  return virtual_text(line)
end

-- The statement at the cursor, in an unsaved buffer.
local last = vim.api.nvim_buf_line_count(bufnr)
vim.api.nvim_buf_set_lines(bufnr, last, last, false, { "greet('ann')", "shown = greet('bob') + '!'" })
vim.api.nvim_win_set_cursor(0, { last + 1, 3 })
vim.cmd('SpliceEval')
local line_result = wait_text(last + 1, "'hello ann'", 'the value of the line')

-- A characterwise selection of an expression in the middle of a line.
vim.api.nvim_win_set_cursor(0, { last + 2, 8 })
vim.cmd('normal! vf)\27')
eval.eval_command({ range = 2, line1 = last + 2, line2 = last + 2 })
local selection_result = wait_text(last + 2, "'hello bob'", 'the value of the selection')

-- Hover on a module-level function: its live signature, from the kernel.
local client = require('splice').client(bufnr)
local hover = client:request_sync('textDocument/hover', {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  position = { line = H.find_line('def greet') - 1, character = 5 },
}, 10000, bufnr)
local hover_text = hover and hover.result and hover.result.contents.value or ''

-- An error: the exception inline, the traceback in a floating window.
vim.api.nvim_buf_set_lines(bufnr, last + 2, last + 2, false, { 'greet(None)' })
vim.api.nvim_win_set_cursor(0, { last + 3, 0 })
vim.cmd('SpliceEval')
local error_result = wait_text(last + 3, 'TypeError', 'the exception')

-- Undo: save a change (patched), then :SpliceUndo puts the old text back in the kernel.
vim.api.nvim_buf_set_lines(bufnr, last, -1, false, {})
H.replace('"hello "', '"hi "')
H.expect_patch(function()
  vim.cmd('silent write')
end)
local patched = H.expect_patch(function()
  vim.cmd('SpliceUndo')
end)
vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { "greet('cy')" })
local final = vim.api.nvim_buf_line_count(bufnr)
vim.api.nvim_win_set_cursor(0, { final, 0 })
vim.cmd('SpliceEval')
local undone_result = wait_text(final, "'hello cy'", 'the value after undo')

H.finish({
  line = line_result,
  selection = selection_result,
  hover = hover_text,
  error = error_result,
  undo = patched,
  undone = undone_result,
})
