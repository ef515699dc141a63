--- :SpliceEval and its operator: code from the buffer runs in the kernel, the
--- result shows as virtual text at the end of the line (as CIDER and Conjure do),
--- the full value and any traceback in a floating window (`K` on the line, or
--- :SpliceEvalShow). :SpliceUndo goes back to the text before the last patch.
local splice = require('splice')

local M = {}

M.namespace = vim.api.nvim_create_namespace('splice_eval')

--- The last result per buffer and line (0-based), for the floating window.
---@type table<integer, table<integer, table>>
M.results = {}

---@param message string
---@param level integer|nil
local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'splice' })
end

---@param result table
---@return string text, string highlight
function M.inline_text(result)
  local where = ''
  if (result.kernels or 1) > 1 and result.pid then
    where = ('  (pid %d)'):format(result.pid)
  end
  if result.cancelled then
    return '⇒ cancelled' .. where, 'Comment'
  end
  if not result.ok then
    return '⇒ ✗ ' .. (result.inline or result.error or 'failed') .. where, 'DiagnosticError'
  end
  return '⇒ ' .. (result.inline or tostring(result.value)) .. where, 'Comment'
end

---@param bufnr integer
---@param result table
local function show(bufnr, result)
  if result.kernel == vim.NIL or result.kernel == nil then
    notify('splice: ' .. tostring(result.error), vim.log.levels.WARN)
    return
  end
  local line = math.min(result.line, vim.api.nvim_buf_line_count(bufnr) - 1)
  vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, line, line + 1)
  local text, highlight = M.inline_text(result)
  vim.api.nvim_buf_set_extmark(bufnr, M.namespace, line, 0, {
    virt_text = { { text, highlight } },
    virt_text_pos = 'eol',
    -- An edit of the line takes its result away: it no longer says what that code gives.
    invalidate = vim.fn.has('nvim-0.10') == 1 or nil,
  })
  M.results[bufnr] = M.results[bufnr] or {}
  M.results[bufnr][line] = result
  if not result.ok and not result.cancelled and result.traceback and result.traceback ~= '' then
    M.show_details(bufnr, line)
  end
end

---@param bufnr integer
---@param range { [1]: integer, [2]: integer, [3]: integer, [4]: integer }  0-based line, character, end line, end character
function M.evaluate_range(bufnr, range)
  local uri = vim.uri_from_bufnr(bufnr)
  splice.execute('splice.evaluate', { uri, range[1], range[2], range[3], range[4] }, function(err, result)
    if err or type(result) ~= 'table' then
      return
    end
    show(bufnr, result)
  end, bufnr)
end

---@param bufnr integer
---@param start_row integer 1-based
---@param start_col integer 0-based byte
---@param end_row integer 1-based
---@param end_col integer 0-based byte, exclusive
local function evaluate_bytes(bufnr, start_row, start_col, end_row, end_col)
  local client = splice.client(bufnr)
  local encoding = client and client.offset_encoding or 'utf-16'
  local function character(row, col)
    local text = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
    col = math.min(col, #text)
    if vim.fn.has('nvim-0.11') == 1 then
      return vim.str_utfindex(text, encoding, col, false)
    end
    local utf32, utf16 = vim.str_utfindex(text, col)
    return encoding == 'utf-32' and utf32 or encoding == 'utf-8' and col or utf16
  end
  M.evaluate_range(bufnr, {
    start_row - 1,
    character(start_row, start_col),
    end_row - 1,
    character(end_row, end_col),
  })
end

--- :SpliceEval: with a range (a visual selection, :'<,'>), those lines; else the
--- statement at the cursor (the server picks it: `return x` gives `x`).
---@param opts { range: integer, line1: integer, line2: integer }|nil
function M.eval_command(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  if opts and opts.range and opts.range > 0 then
    local mode = vim.fn.visualmode()
    local first, last = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    if mode == 'v' and first[2] == opts.line1 and last[2] == opts.line2 then
      -- A characterwise selection: exactly the selected text (an expression mid-line).
      local last_line = vim.api.nvim_buf_get_lines(bufnr, last[2] - 1, last[2], false)[1] or ''
      local end_col = math.min(last[3], #last_line)
      evaluate_bytes(bufnr, first[2], first[3] - 1, last[2], end_col)
      return
    end
    local last_text = vim.api.nvim_buf_get_lines(bufnr, opts.line2 - 1, opts.line2, false)[1] or ''
    evaluate_bytes(bufnr, opts.line1, 0, opts.line2, #last_text)
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  evaluate_bytes(bufnr, row, 0, row, 0)
end

--- The operator (`g@`): `require('splice.eval').operator()` evaluates a motion.
---@param kind string|nil 'line', 'char' or 'block' when called back by g@
---@return string|nil
function M.operator(kind)
  if kind == nil then
    vim.o.operatorfunc = "v:lua.require'splice.eval'.operator"
    return 'g@'
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local first, last = vim.api.nvim_buf_get_mark(bufnr, '['), vim.api.nvim_buf_get_mark(bufnr, ']')
  if kind == 'line' then
    local last_text = vim.api.nvim_buf_get_lines(bufnr, last[1] - 1, last[1], false)[1] or ''
    evaluate_bytes(bufnr, first[1], 0, last[1], #last_text)
  else
    evaluate_bytes(bufnr, first[1], first[2], last[1], last[2] + 1)
  end
  return nil
end

--- The full value, what it printed and the traceback of the result on `line` (0-based).
---@param bufnr integer|nil
---@param line integer|nil
function M.show_details(bufnr, line)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  line = line or (vim.api.nvim_win_get_cursor(0)[1] - 1)
  local result = (M.results[bufnr] or {})[line]
  if not result then
    notify('splice: no evaluation result on this line', vim.log.levels.WARN)
    return
  end
  local lines = { '>>> ' .. tostring(result.code or '') }
  local function add(text)
    if type(text) == 'string' and text ~= '' then
      vim.list_extend(lines, vim.split(text:gsub('\n$', ''), '\n', { plain = true }))
    end
  end
  add(result.output)
  if result.ok then
    add(result.value ~= vim.NIL and result.value or nil)
    if result.type and result.type ~= vim.NIL then
      table.insert(lines, ('# %s%s'):format(result.type, result.truncated and ', cut: too large to show whole' or ''))
    end
  else
    add(result.traceback ~= '' and result.traceback or result.error)
  end
  if result.kernel and result.kernel ~= vim.NIL then
    table.insert(lines, '# in ' .. result.kernel)
  end
  vim.lsp.util.open_floating_preview(lines, 'python', { border = 'rounded', focus_id = 'splice_eval' })
end

--- :SpliceEvalCancel: interrupt the running evaluations.
function M.cancel()
  splice.execute('splice.cancelEvaluation', {}, function(err, count)
    if not err then
      notify(('splice: cancelled %d evaluation%s'):format(count or 0, count == 1 and '' or 's'))
    end
  end)
end

--- :SpliceUndo: every kernel running this file goes back to its text before the last patch.
function M.undo()
  local bufnr = vim.api.nvim_get_current_buf()
  splice.execute('splice.undoPatch', { vim.uri_from_bufnr(bufnr) }, function(err, result)
    if not err and type(result) == 'table' and type(result.summary) == 'string' then
      notify('splice: ' .. result.summary, result.ok and vim.log.levels.INFO or vim.log.levels.WARN)
    end
  end, bufnr)
end

--- :SpliceEvalKernel [pid]: the kernel evaluations, hovers and completions use.
---@param args string|nil
function M.pick_kernel(args)
  local pid = tonumber(args or '')
  if pid then
    splice.execute('splice.selectKernel', { pid })
    return
  end
  splice.execute('splice.listKernels', {}, function(err, kernels)
    if err or type(kernels) ~= 'table' then
      return
    end
    local attached = vim.tbl_filter(function(kernel)
      return kernel.attached
    end, kernels)
    vim.ui.select(attached, {
      prompt = 'Evaluate in which kernel?',
      format_item = function(kernel)
        return ('%d  %s'):format(kernel.pid, kernel.program or 'python')
      end,
    }, function(kernel)
      if kernel then
        splice.execute('splice.selectKernel', { kernel.pid })
      end
    end)
  end)
end

--- The server's "Evaluate in kernel" code action names `splice.evaluateInKernel`,
--- a client-side command (plugin/splice.lua registers it in vim.lsp.commands).
---@param command lsp.Command
---@param ctx table
function M.run_code_action(command, ctx)
  local arguments = command.arguments or {}
  local bufnr = arguments[1] and vim.uri_to_bufnr(arguments[1]) or ctx.bufnr
  M.evaluate_range(bufnr, { arguments[2], arguments[3], arguments[4], arguments[5] })
end

return M
