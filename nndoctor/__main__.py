from nndoctor.cli import main

main()
