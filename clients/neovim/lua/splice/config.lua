--- Options for splice.nvim: documented defaults, validation, and the LSP client config.
---
--- Bad options are reported once (vim.notify and :checkhealth splice) and
--- replaced by their defaults, so a typo never leaves the user without a client.
--- `settings` belongs to the language server: it is sent as given, and the
--- server validates it, applies its own defaults and names any bad value.
local M = {}

---@class (exact) splice.Options
---@field cmd string[]? Command that starts the language server; nil: derived from `python`
---@field python string? Interpreter that has splice installed (for cmd, :SpliceKernel, health)
---@field filetypes string[] Filetypes the client attaches to
---@field root_markers string[] Files that mark a project root
---@field settings table<string, any> Server settings (docs/settings.md), sent untouched
---@field notify boolean Show changes in the attached kernels with vim.notify
---@field kernel_cmd string[]? Command :SpliceKernel runs; nil: derived like cmd

---@class (exact) splice.SetupOptions
---@field cmd? string[]
---@field python? string
---@field filetypes? string[]
---@field root_markers? string[]
---@field settings? table<string, any>
---@field notify? boolean
---@field kernel_cmd? string[]

---@type splice.Options
M.defaults = {
  -- nil: { python, '-m', 'splice', 'lsp' } when `python` is set, else { 'splice', 'lsp' }.
  cmd = nil,
  python = nil,
  filetypes = { 'python' },
  -- Without one, the file's own directory is the root.
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  -- Empty: the server's defaults.
  settings = {},
  notify = true,
  kernel_cmd = nil,
}

---@param value any
---@return boolean
local function is_string_list(value)
  return vim.islist(value)
    and vim.iter(value):all(function(item)
      return type(item) == 'string'
    end)
end

---@param value any
---@return boolean
local function is_command(value)
  return is_string_list(value) and #value > 0
end

--- Each option's validator and, for function validators, what it expects.
---@type table<string, { [1]: vim.validate.Validator, [2]: boolean, [3]: string? }>
local option_specs = {
  cmd = { is_command, true, 'a non-empty list of strings' },
  python = { 'string', true },
  filetypes = { is_string_list, false, 'a list of strings' },
  root_markers = { is_string_list, false, 'a list of strings' },
  settings = { 'table', false },
  notify = { 'boolean', false },
  kernel_cmd = { is_command, true, 'a non-empty list of strings' },
}

local has_011 = vim.fn.has('nvim-0.11') == 1

--- vim.validate, returning its complaint instead of raising it.
---@param name string
---@param value any
---@param validator vim.validate.Validator
---@param optional boolean
---@param expected string?
---@return string? problem
local function check(name, value, validator, optional, expected)
  if optional and value == nil then
    return nil
  end
  local ok, problem
  if has_011 then
    ok, problem = pcall(vim.validate, name, value, validator, expected)
  else
    -- Neovim 0.10 has only the table form (deprecated from 0.11).
    ok, problem = pcall(vim.validate, { [name] = { value, validator, expected } })
  end
  if ok then
    return nil
  end
  return (tostring(problem):gsub('^[^\n]-:%d+: ', ''))
end

--- Merge `opts` over the defaults. Returns the options and a list of problems found.
---@param opts splice.SetupOptions|nil
---@return splice.Options options
---@return string[] problems
function M.merge(opts)
  local problems = {}
  local problem = check('setup() options', opts, 'table', true)
  if problem then
    table.insert(problems, problem)
    opts = nil
  end
  local options = vim.deepcopy(M.defaults)
  for key, value in pairs(opts or {}) do
    local spec = option_specs[key]
    if not spec then
      table.insert(problems, ('unknown option %s (ignored)'):format(tostring(key)))
    else
      problem = check(key, value, spec[1], spec[2], spec[3])
      if problem then
        table.insert(problems, problem .. ' (using the default)')
      else
        options[key] = vim.deepcopy(value)
      end
    end
  end
  return options, problems
end

--- The options in effect (defaults until setup() runs).
M.options = vim.deepcopy(M.defaults)
--- Problems found in the options given to setup(), for :checkhealth splice.
---@type string[]
M.problems = {}

---@param opts splice.SetupOptions|nil
---@return string[] problems
function M.set(opts)
  M.options, M.problems = M.merge(opts)
  return M.problems
end

---@param options splice.Options|nil
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

---@param options splice.Options|nil
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

--- The server's settings as the user gave them; an empty table goes out as a
--- JSON object, not the empty array vim.json would make of it.
---@param settings table<string, any>
---@return table<string, any>
local function server_settings(settings)
  if next(settings) == nil then
    return vim.empty_dict()
  end
  return vim.deepcopy(settings)
end

--- The client configuration for vim.lsp.config / vim.lsp.start.
---@param options splice.Options|nil
---@return vim.lsp.Config
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
    settings = { splice = server_settings(options.settings) },
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
