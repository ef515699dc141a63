-- User commands only; the modules behind them load on first use.
if vim.g.loaded_splice then
  return
end
vim.g.loaded_splice = true

local function command(name, action, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require('splice.commands')[action](args.args)
  end, opts)
end

command(
  'SpliceAttach',
  'attach',
  { nargs = '?', complete = 'file', desc = 'splice: attach to a live kernel' }
)
command('SpliceAttachProcess', 'attach_process', {
  nargs = '?',
  desc = 'splice: start splice in a running Python process and attach to it',
})
command('SpliceDetach', 'detach', { nargs = '?', desc = 'splice: detach from a kernel (all without a pid)' })
command('SpliceReload', 'reload', { nargs = 0, desc = 'splice: patch the definition at the cursor' })
command('SpliceReloadFile', 'reload_file', { nargs = 0, desc = 'splice: patch the whole buffer' })
command('SpliceStatus', 'show_status', { nargs = 0, desc = 'splice: show kernels and the last patch' })
command('SpliceRun', 'run', {
  nargs = '?',
  complete = 'file',
  desc = 'splice: run a file (default: this one) under splice in a terminal',
})
command('SpliceKernel', 'open_kernel', { nargs = '*', desc = 'splice: open `splice kernel` in a terminal' })

-- Evaluation and undo (lua/splice/eval.lua); <Plug> mappings for users to bind.
local function eval_command(name, action, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require('splice.eval')[action](action == 'eval_command' and args or args.args)
  end, opts)
end
eval_command('SpliceEval', 'eval_command', {
  range = true,
  desc = 'splice: evaluate the selection (or the statement at the cursor) in the kernel',
})
eval_command('SpliceEvalShow', 'show_details', { nargs = 0, desc = 'splice: the full result of this line' })
eval_command('SpliceEvalCancel', 'cancel', { nargs = 0, desc = 'splice: interrupt running evaluations' })
eval_command('SpliceEvalKernel', 'pick_kernel', { nargs = '?', desc = 'splice: the kernel to evaluate in' })
eval_command('SpliceUndo', 'undo', { nargs = 0, desc = 'splice: undo the last patch of this file' })
vim.keymap.set('n', '<Plug>(splice-eval-operator)', function()
  return require('splice.eval').operator()
end, { expr = true, desc = 'splice: evaluate {motion} in the kernel' })
vim.keymap.set('n', '<Plug>(splice-eval-line)', function()
  require('splice.eval').eval_command(nil)
end, { desc = 'splice: evaluate the statement at the cursor' })
vim.keymap.set('x', '<Plug>(splice-eval-selection)', ':SpliceEval<CR>', { silent = true, desc = 'splice: evaluate the selection' })
vim.lsp.commands['splice.evaluateInKernel'] = function(command, ctx)
  require('splice.eval').run_code_action(command, ctx)
end
