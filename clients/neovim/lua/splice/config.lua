--- Options for splice.nvim: documented defaults, validation, and the LSP client config.
---
--- Bad options are reported once (vim.notify and :checkhealth splice) and
--- replaced by their defaults, so a typo never leaves the user without a client.
local M = {}

--- Settings sent to the language server (initializationOptions and the
--- "splice" section of workspace/configuration).
local server_settings = {
  patchOnSave = true,
  autoAttach = 'workspace',
  kernels = {},
  deleteRemoved = true,
  liveMarkers = true,
  logLevel = 'info',
}

M.defaults = {
  -- Command that starts the language server. nil: { python, '-m', 'splice', 'lsp' }
  -- when `python` is set, else { 'splice', 'lsp' }.
  cmd = nil,
  -- Interpreter that has splice installed (used for cmd, :SpliceKernel and health).
  python = nil,
  filetypes = { 'python' },
  -- Files that mark a project root; without one, the file's own directory is the root.
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  settings = server_settings,
  -- Show the server's splice/status messages with vim.notify.
  notify = true,
  -- Command :SpliceKernel runs in a terminal. nil: derived like cmd, with 'kernel'.
  kernel_cmd = nil,
}

local enums = {
  autoAttach = { 'workspace', 'file', 'off' },
  logLevel = { 'error', 'warning', 'info', 'debug' },
}

local function is_list_of(value, types)
  if type(value) ~= 'table' then
    return false
  end
  for index, item in pairs(value) do
    if type(index) ~= 'number' or not vim.tbl_contains(types, type(item)) then
      return false
    end
  end
  return true
end

local function one_of(choices)
  return function(value)
    return vim.tbl_contains(choices, value), 'one of ' .. table.concat(choices, ', ')
  end
end

local function of_type(name)
  return function(value)
    return type(value) == name, 'a ' .. name
  end
end

local function optional(check)
  return function(value)
    if value == nil then
      return true
    end
    local ok, expected = check(value)
    return ok, expected .. ' or nil'
  end
end

local function list_of(...)
  local types = { ... }
  return function(value)
    return is_list_of(value, types), 'a list of ' .. table.concat(types, ' or ')
  end
end

local function non_empty_list(value)
  return is_list_of(value, { 'string' }) and #value > 0, 'a non-empty list of strings'
end

local option_checks = {
  cmd = optional(non_empty_list),
  python = optional(of_type('string')),
  filetypes = list_of('string'),
  root_markers = list_of('string'),
  settings = of_type('table'),
  notify = of_type('boolean'),
  kernel_cmd = optional(non_empty_list),
}

local setting_checks = {
  patchOnSave = of_type('boolean'),
  autoAttach = one_of(enums.autoAttach),
  kernels = list_of('number', 'string'),
  deleteRemoved = of_type('boolean'),
  liveMarkers = of_type('boolean'),
  logLevel = one_of(enums.logLevel),
}

--- Check `values` against `checks`; bad or unknown keys fall back to `defaults`.
local function validate(values, checks, defaults, prefix, problems)
  local result = vim.deepcopy(defaults)
  for key, value in pairs(values) do
    local check = checks[key]
    if not check then
      table.insert(problems, ('unknown option %s%s (ignored)'):format(prefix, key))
    else
      local ok, expected = check(value)
      if ok then
        result[key] = vim.deepcopy(value)
      else
        table.insert(
          problems,
          ('%s%s must be %s, got %s (using the default)'):format(prefix, key, expected, vim.inspect(value))
        )
      end
    end
  end
  return result
end

--- Merge `opts` over the defaults. Returns the options and a list of problems found.
---@param opts table|nil
---@return table options, string[] problems
function M.merge(opts)
  local problems = {}
  if opts ~= nil and type(opts) ~= 'table' then
    table.insert(problems, 'setup() takes a table of options, got ' .. type(opts))
    opts = {}
  end
  opts = opts or {}
  local options = validate(opts, option_checks, M.defaults, '', problems)
  if type(opts.settings) == 'table' then
    options.settings = validate(opts.settings, setting_checks, server_settings, 'settings.', problems)
  end
  return options, problems
end

--- The options in effect (defaults until setup() runs).
M.options = vim.deepcopy(M.defaults)
--- Problems found in the options given to setup(), for :checkhealth splice.
M.problems = {}

---@param opts table|nil
---@return string[] problems
function M.set(opts)
  M.options, M.problems = M.merge(opts)
  return M.problems
end

---@param options table|nil
---@return string[]
function M.server_cmd(options)
  options = options or M.options
  if options.cmd then
    return vim.deepcopy(options.cmd)
  end
  if options.python then
    return { options.python, '-m', 'splice', 'lsp' }
  end
  return { 'splice', 'lsp' }
end

---@param options table|nil
---@return string[]
function M.kernel_cmd(options)
  options = options or M.options
  if options.kernel_cmd then
    return vim.deepcopy(options.kernel_cmd)
  end
  local cmd = M.server_cmd(options)
  if cmd[#cmd] == 'lsp' then
    cmd[#cmd] = 'kernel'
    return cmd
  end
  return { 'splice', 'kernel' }
end

--- The project root of `bufnr`: the nearest root marker, else the file's directory.
---@param bufnr integer
---@param markers string[]|nil
---@return string|nil
function M.root_dir(bufnr, markers)
  local root = vim.fs.root(bufnr, markers or M.options.root_markers)
  if root then
    return root
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  return vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(name, ':p')))
end

--- The client configuration for vim.lsp.config / vim.lsp.start.
---@param options table|nil
---@return table
function M.lsp_config(options)
  options = options or M.options
  return {
    name = 'splice',
    cmd = M.server_cmd(options),
    filetypes = vim.deepcopy(options.filetypes),
    -- A function rather than root_markers: a file outside any project still
    -- gets a client (rooted at its directory), as kernels often run loose scripts.
    root_dir = function(bufnr, on_dir)
      local root = M.root_dir(bufnr, options.root_markers)
      if root then
        on_dir(root)
      end
    end,
    -- One source of truth: Neovim sends `settings` in workspace/didChangeConfiguration
    -- right after initializing, which would override different initializationOptions.
    settings = { splice = vim.deepcopy(options.settings) },
    before_init = function(params, client_config)
      params.initializationOptions = vim.tbl_get(client_config, 'settings', 'splice')
    end,
    handlers = {
      ['splice/status'] = function(...)
        return require('splice').on_status(...)
      end,
    },
    on_attach = function(client, bufnr)
      require('splice').show_live_markers(client, bufnr)
    end,
  }
end

return M
