" flaglint for Vim (and Neovim) with ALE: flag-debt diagnostics, hovers (:ALEHover) and removal
" quick fixes (:ALECodeAction) from `flaglint lsp`.
"
"   source /path/to/flaglint/lsp/vim/flaglint.vim     " after ALE is loaded (plugin/ or vimrc)
"   let g:ale_linters = {'python': ['flaglint', ...]}  " if you list linters explicitly
"
" Options (ALE style, also as b: variables):
"   g:ale_python_flaglint_executable   the flaglint command (default 'flaglint')
"   g:ale_python_flaglint_options      extra `flaglint lsp` options, e.g. '--debounce 0.05'

call ale#Set('python_flaglint_executable', 'flaglint')
call ale#Set('python_flaglint_options', '')

" The project: the folder of the nearest pyproject.toml with a [tool.flaglint] table, else of the
" nearest flags.toml; the same project `flaglint check` would use.
function! FlaglintProjectRoot(buffer) abort
    let l:dir = fnamemodify(bufname(a:buffer), ':p:h')

    while 1
        let l:pyproject = l:dir . '/pyproject.toml'

        if filereadable(l:pyproject) && match(readfile(l:pyproject), '^\[tool\.flaglint[].]') >= 0
            return l:dir
        endif

        let l:up = fnamemodify(l:dir, ':h')

        if l:up is# l:dir
            break
        endif

        let l:dir = l:up
    endwhile

    let l:flags = ale#path#FindNearestFile(a:buffer, 'flags.toml')

    return empty(l:flags) ? '' : fnamemodify(l:flags, ':h')
endfunction

function! FlaglintCommand(buffer) abort
    return '%e lsp' . ale#Pad(ale#Var(a:buffer, 'python_flaglint_options'))
endfunction

call ale#linter#Define('python', {
\   'name': 'flaglint',
\   'lsp': 'stdio',
\   'executable': {buffer -> ale#Var(buffer, 'python_flaglint_executable')},
\   'command': function('FlaglintCommand'),
\   'project_root': function('FlaglintProjectRoot'),
\})
